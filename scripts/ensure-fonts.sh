#!/usr/bin/env bash
# Receipts and printed forms embed IPAexGothic (Debian's fonts-ipaexfont-gothic). Install it when
# missing and we may; otherwise PDFs fall back to a non-embedded font (and say so in the log).
set -uo pipefail
for f in /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf /usr/share/fonts/truetype/fonts-japanese-gothic.ttf; do
  [ -f "$f" ] && exit 0
done
[ -n "${MADOGUCHI_PDF_FONT:-}" ] && [ -f "$MADOGUCHI_PDF_FONT" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's fonts-ipaexfont-gothic for PDF receipts..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-ipaexfont-gothic >/dev/null && exit 0
fi
echo "Japanese font for PDFs not found: install fonts-ipaexfont-gothic (or set MADOGUCHI_PDF_FONT)." >&2
exit "${1:-0}"
