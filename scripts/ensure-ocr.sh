#!/usr/bin/env bash
# OCR of scanned paper forms (docs/ocr.md): Tesseract's Japanese data for the second engine
# (tesserocr's wheel carries libtesseract; the trained data comes from Debian), and with "bench",
# the Japanese fonts, printed and handwriting-like, that the OCR benchmark draws fields with.
# RapidOCR (the default engine) needs nothing from Debian: its models are in the wheel.
# Usage: ensure-ocr.sh [bench]   Exits 0 when it cannot install (the Tesseract tests then skip).
set -uo pipefail
packages=()
have_tessdata=0
for d in "${MADOGUCHI_TESSDATA:-}" "${TESSDATA_PREFIX:-}" /usr/share/tesseract-ocr/5/tessdata /usr/share/tesseract-ocr/4.00/tessdata; do
  [ -n "$d" ] && [ -f "$d/jpn.traineddata" ] && have_tessdata=1 && break
done
[ "$have_tessdata" = 1 ] || packages+=(tesseract-ocr tesseract-ocr-jpn)
if [ "${1:-}" = "bench" ]; then
  # fonts-ipaexfont-gothic comes from ensure-fonts.sh; the rest only for the benchmark.
  declare -A font_files=(
    [fonts-ipafont-mincho]=/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf
    [fonts-takao-gothic]=/usr/share/fonts/truetype/takao-gothic/TakaoGothic.ttf
    [fonts-vlgothic]=/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf
    [fonts-horai-umefont]=/usr/share/fonts/truetype/horai-umefont/ume-tgo4.ttf
    [fonts-seto]=/usr/share/fonts/truetype/seto/setofont.ttf
    [fonts-kiloji]=/usr/share/fonts/truetype/kiloji/kiloji.ttf
    [fonts-yozvox-yozfont]=/usr/share/fonts/truetype/yozvox-yozfont/YOzRN_.ttf
    [fonts-yusei-magic]=/usr/share/fonts/truetype/yusei-magic/YuseiMagic-Regular.ttf
    [fonts-aoyagi-kouzan-t]=/usr/share/fonts/truetype/aoyagi-kouzan-t/AoyagiKouzanT.ttf
  )
  for pkg in "${!font_files[@]}"; do
    [ -f "${font_files[$pkg]}" ] || packages+=("$pkg")
  done
fi
[ "${#packages[@]}" = 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's ${packages[*]} for OCR..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null && exit 0
fi
echo "OCR: install Debian's ${packages[*]} (the Tesseract engine and the benchmark need them)." >&2
exit 0
