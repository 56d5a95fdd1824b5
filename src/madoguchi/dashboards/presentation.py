"""The dashboard's sections: for each, a chart (SVG), the same numbers as a table, and its CSV.

A value is kept once and written twice: in the table (``—`` where there is nothing, 秘匿 where suppressed)
and in the CSV (numbers only; an empty cell for nothing or suppressed)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import charts
from .selectors import DIMENSIONS, Dashboard, Row


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _num(value: float | None, places: int = 1) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def _display(raw: str, *, unit: str = "", suppressed: bool = False) -> str:
    if raw == "":
        return "—"  # nothing to show, or (public) suppressed: the page says which may be which
    return f"{raw}{unit}"


def _section(name, title, headers, rows, *, chart=None, csv_url="", scope=None, note=""):
    """``rows``: lists of (raw value, unit, whether an empty value means suppressed)."""
    params = {"table": name, **({"scope": scope} if scope else {})}
    return {
        "name": name, "title": title, "chart": chart, "headers": headers, "note": note,
        "rows": [[raw for raw, _unit, _s in row] for row in rows],
        "display": [[_display(raw, unit=unit, suppressed=s) if n else raw for n, (raw, unit, s) in enumerate(row)]
                    for row in rows],
        "csv_href": f"{csv_url}?{urlencode(params)}" if csv_url else "",
        "id": f"{scope or 'public'}-{name}",
    }  # fmt: skip


def sections(board: Dashboard, *, csv_url: str, scope: str | None = None) -> list[dict]:
    public = board.public
    uid = scope or "public"
    result = []

    # 1. Channels by month.
    channel_labels = [_("オンライン"), _("窓口"), _("紙")]
    rows, chart_rows = [], []
    for m in board.months:
        shares = [m.share(c) for c in ("online", "counter", "paper")]
        chart_rows.append((m.label, shares))
        rows.append([(m.key, "", False)] + [(_count(m.channel_shown[c]), "", public) for c in
                    ("online", "counter", "paper", "total")] + [(_pct(m.online_share), "%", public)])  # fmt: skip
    chart = charts.stacked_shares(
        uid=f"{uid}-channels", title=_("受付方法別の申請の割合（月別）"),
        desc=_("各月の申請のうち、オンライン・窓口・紙の割合。数値は下の表にあります。"
               "オンラインは濃い青の塗り、窓口は薄い青の斜線、紙は黄色の点で示します。"),
        rows=chart_rows, series=[charts.Series(k, v) for k, v in zip(("online", "counter", "paper"), channel_labels,
                                                                      strict=True)],
    )  # fmt: skip
    result.append(_section(
        "channels", _("受付方法別の申請件数と割合"),
        [_("年月"), *channel_labels, _("計"), _("オンラインの割合（%）")], rows, chart=chart, csv_url=csv_url,
        scope=scope,
    ))  # fmt: skip

    # 2. Processing against the standard period, by month (completion month).
    rows, chart_rows = [], []
    for m in board.months:
        share = m.within_share
        within = None if share is None else m.counts.within_standard
        chart_rows.append((m.label, share, charts.percent(share)))
        rows.append([(m.key, "", False), (_count(m.completed_shown), "", public), (_count(within), "", public),
                     (_pct(share), "%", public), (_num(m.mean_days), pgettext("unit", "日"), public)])  # fmt: skip
    chart = charts.bars(
        uid=f"{uid}-processing", title=_("標準処理期間内に処理した割合（月別）"),
        desc=_("各月に処理を終えた申請のうち、標準処理期間（土日祝日を除く日数）内に終えた割合。"), rows=chart_rows,
        maximum=1.0,
    )  # fmt: skip
    result.append(_section(
        "processing", _("処理日数と標準処理期間"),
        [_("年月"), _("処理件数"), _("標準処理期間内"), _("標準処理期間内の割合（%）"), _("平均処理日数（日）")], rows,
        chart=chart, csv_url=csv_url, scope=scope,
    ))  # fmt: skip

    # 3. Corrections by month (receipt month).
    rows, chart_rows = [], []
    for m in board.months:
        rate = m.correction_rate
        chart_rows.append((m.label, rate, charts.percent(rate)))
        rows.append([(m.key, "", False), (_count(m.channel_shown["total"] if public else m.counts.received), "", public),
                     (_pct(rate), "%", public)])  # fmt: skip
    chart = charts.bars(
        uid=f"{uid}-corrections", title=_("補正依頼をした申請の割合（月別）"),
        desc=_("各月に受け付けた申請のうち、補正依頼（不備の修正のお願い）をした割合。低いほど分かりやすい手続です。"),
        rows=chart_rows, maximum=max([r[1] or 0 for r in chart_rows] + [0.1]),
    )  # fmt: skip
    result.append(_section(
        "corrections", _("補正依頼の割合"), [_("年月"), _("申請件数"), _("補正依頼の割合（%）")], rows, chart=chart,
        csv_url=csv_url, scope=scope,
    ))  # fmt: skip

    # 4. Satisfaction.
    labels = {"easy": _("簡単"), "convenient": _("便利"), "clear": _("分かりやすい")}
    chart_rows = [(labels[d], board.satisfaction[d], _num(board.satisfaction[d], 2)) for d in DIMENSIONS]
    chart = charts.bars(
        uid=f"{uid}-satisfaction", title=_("申請後アンケートの平均点（5点満点）"),
        desc=_("申請した方に、手続が簡単だったか、便利だったか、分かりやすかったかを1から5で答えていただいた平均点。"),
        rows=chart_rows, maximum=5.0,
    )  # fmt: skip
    rows = [[(labels[d], "", False), (_num(board.satisfaction[d], 2), "", public),
             (_count(board.satisfaction_n), "", public)] for d in DIMENSIONS]  # fmt: skip
    result.append(_section(
        "satisfaction", _("申請後アンケート"), [_("項目"), _("平均点（5点満点）"), _("回答数")], rows, chart=chart,
        csv_url=csv_url, scope=scope,
    ))  # fmt: skip

    # 5. By procedure (table only).
    result.append(_section(
        "procedures", _("手続別"),
        [_("手続"), _("申請件数"), _("オンラインの割合（%）"), _("標準処理期間内の割合（%）"), _("平均処理日数（日）"),
         _("補正依頼の割合（%）"), _("簡単"), _("便利"), _("分かりやすい"), _("回答数")],
        [_procedure_row(p, public) for p in board.procedures], csv_url=csv_url, scope=scope,
    ))  # fmt: skip
    if board.departments:
        result.append(_section(
            "departments", _("課別"),
            [_("課"), _("申請件数"), _("オンラインの割合（%）"), _("標準処理期間内の割合（%）"), _("平均処理日数（日）"),
             _("補正依頼の割合（%）")],
            [_procedure_row(d, public)[:6] for d in board.departments], csv_url=csv_url, scope=scope,
        ))  # fmt: skip
    return result


def _procedure_row(p: Row, public: bool) -> list[tuple[str, str, bool]]:
    return [
        (p.label, "", False), (_count(p.channel_shown["total"]), "", public), (_pct(p.online_share), "%", public),
        (_pct(p.within_share), "%", public), (_num(p.mean_days), pgettext("unit", "日"), public),
        (_pct(p.correction_rate), "%", public),
        *[(_num(p.satisfaction.get(d), 2), "", public) for d in DIMENSIONS],
        (_count(p.satisfaction_n_shown), "", public),
    ]  # fmt: skip


def cards(board: Dashboard) -> list[tuple[str, str, str]]:
    """The headline KPIs: (label, value, what it counts)."""
    t = board.total
    period = _("{first}〜{last}").format(first=date_format(board.first, "YEAR_MONTH_FORMAT"),
                                         last=date_format(board.last, "YEAR_MONTH_FORMAT"))  # fmt: skip
    satisfaction = [v for v in board.satisfaction.values() if v is not None]
    result = [
        (_("オンライン申請の割合"), _display(_pct(t.online_share), unit="%"), period),
        (_("標準処理期間内に処理した割合"), _display(_pct(t.within_share), unit="%"), period),
        (_("平均処理日数"), _display(_num(t.mean_days), unit=pgettext("unit", "日")), _("土日祝日を除く")),
        (_("補正依頼をした申請の割合"), _display(_pct(t.correction_rate), unit="%"), period),
        (_("満足度（3項目の平均、5点満点）"),
         _display(_num(sum(satisfaction) / len(satisfaction), 2) if satisfaction else ""),
         _("回答数 {n}").format(n=_display(_count(board.satisfaction_n)))),
        (_("処理中の申請"), _display(_count(board.open_cases), unit=pgettext("unit", "件")),
         _("うち期限超過 {n}").format(n=_display(_count(board.overdue_cases), unit=pgettext("unit", "件")))),
        (_("オンラインでできる優先手続"), f"{board.priority_online} / {board.priority_total}", _("手続")),
    ]  # fmt: skip
    if board.datasets_published is not None:
        result.append((_("公開中のオープンデータ"), f"{board.datasets_published}",
                       _("うち更新予定日を過ぎていないもの {n}").format(n=board.datasets_fresh)))  # fmt: skip
    return result
