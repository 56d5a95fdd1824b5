"""A blank 委任状 (letter of authorisation) for a procedure, printed from its definition.

The person signs it by hand; a signature is enough and no seal is asked (押印不要), as the
city's review of seals decided. The proxy photographs it and attaches it to the online form,
or brings it to the counter. The letter is in Japanese, the language the city files it in;
on the English site, each heading also carries its English meaning.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from madoguchi.organisations.selectors import municipality_get_current
from madoguchi.submissions.pdf import _Writer, japanese_font


def _blank(w: _Writer, label: str, height: float = 9 * mm) -> None:
    """A label and a line to write on."""
    w.line(label, size=10.5, indent=4 * mm, gap=1.2)
    w.y -= height - 10.5 * 1.2
    w.pdf.setLineWidth(0.4)
    w.pdf.line(w.left + 4 * mm, w.y + 2, w.right, w.y + 2)
    w.y -= 4


def render_power_of_attorney(procedure, *, language: str = "ja") -> bytes:
    definition = procedure.current_version.definition
    en = language == "en"
    city = municipality_get_current()
    city_name = city.display_name if city else ""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"委任状 {definition['name']['ja']}")
    pdf.setAuthor(city_name or "Madoguchi")
    w = _Writer(pdf, japanese_font())
    w.line("委任状" + ("  Letter of authorisation" if en else ""), size=20, gap=1.8)
    w.line(f"{city_name}長 あて" if city_name else "市長 あて", size=11)
    w.y -= 4
    w.line("私は、次の者を代理人と定め、下記の手続に関する権限を委任します。", size=11)
    if en:
        w.line("I appoint the person below as my proxy for the procedure named here.", size=9)
    w.rule()
    w.line("代理人（頼まれた人）" + (" / Proxy" if en else ""), size=12, gap=1.8)
    _blank(w, "住所" + (" / Address" if en else ""))
    _blank(w, "氏名" + (" / Name" if en else ""))
    _blank(w, "電話番号" + (" / Phone" if en else ""))
    w.y -= 4
    w.line("委任する手続" + (" / Procedure" if en else ""), size=12, gap=1.8)
    department = procedure.department.display_name if procedure.department_id else ""
    w.line(f"{definition['name']['ja']}（{department}）", size=11, indent=4 * mm)
    if en:
        w.line(definition["name"]["en"], size=9, indent=4 * mm)
    w.y -= 2
    w.line("委任する内容（□に印をつけてください）" + (" / What the proxy may do" if en else ""), size=10.5,
           indent=4 * mm)  # fmt: skip
    for item in (
        "□ 申請書・届出書の提出",
        "□ 書類の補正（訂正や追加）への対応",
        "□ 通知書・証明書などの受取り",
    ):
        w.line(item, size=10.5, indent=8 * mm)
    w.y -= 4
    w.line("委任者（本人）" + (" / The person (you)" if en else ""), size=12, gap=1.8)
    _blank(w, "日付" + (" / Date" if en else "") + "　　　　令和　　　年　　　月　　　日")
    _blank(w, "住所" + (" / Address" if en else ""))
    _blank(w, "氏名（本人が自署してください）" + (" / Name, signed by you" if en else ""), height=12 * mm)
    _blank(w, "生年月日" + (" / Date of birth" if en else ""))
    _blank(w, "電話番号" + (" / Phone" if en else ""))
    w.rule()
    w.line("本人が自署すれば、押印はいりません。", size=10)
    w.line("本人が書けないときは、代筆した人の氏名と、本人との関係を余白に書いてください。", size=9)
    w.line("オンライン申請では、この委任状を写真に撮るかPDFにして添付してください。", size=9)
    if en:
        w.line("No seal is needed when you sign it yourself. For an online application, attach a photo or PDF of it.",
               size=8.5)  # fmt: skip
    if city:
        w.line(f"{city_name}  {city.phone}", size=9)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
