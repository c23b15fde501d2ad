# Sourced by test.sh: Debian's tesseract-ocr with its simplified and traditional Chinese
# models, the engine of the `ocr` extra. Installed with apt-get when missing and we may;
# otherwise the OCR tests say what to install.
if ! command -v tesseract >/dev/null 2>&1 \
   || ! tesseract --list-langs 2>/dev/null | grep -q '^chi_sim$' \
   || ! tesseract --list-langs 2>/dev/null | grep -q '^chi_tra$'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing tesseract-ocr with chi_sim and chi_tra (log: .venv/apt-ocr.log)" >&2
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra fonts-noto-cjk; } \
        >.venv/apt-ocr.log 2>&1 || {
      tail -n 20 .venv/apt-ocr.log >&2
      echo "apt-get could not install tesseract-ocr; the OCR tests will say so" >&2
    }
  else
    echo "tesseract is missing: as root, apt-get install tesseract-ocr tesseract-ocr-chi-sim" \
         "tesseract-ocr-chi-tra" >&2
  fi
fi
