# Sourced by test.sh: Debian's chromium (and CJK fonts for readable screenshots) for the
# browser test. Installed with apt-get when missing and we may; otherwise the test says
# what to install (and fails instead of skipping when JIHUA_REQUIRE_BROWSER is set, as CI does).
if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and fonts-noto-cjk with apt-get (log: .venv/apt.log)" >&2
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium fonts-noto-cjk; } >.venv/apt.log 2>&1 || {
      tail -n 20 .venv/apt.log >&2
      echo "apt-get could not install chromium; the browser test will say so" >&2
    }
  else
    echo "chromium is missing: as root, apt-get install chromium fonts-noto-cjk" >&2
  fi
fi
