# Sourced by ./run and ./test: checks the system, creates .venv, installs the pinned dependencies.
# Installs from requirements.lock only when it changed since the last install, so a second start is fast.

die() { printf '\n\033[31mcivlearn: %s\033[0m\n' "$*" >&2; exit 1; }

PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null || die "Python 3.11 or newer is needed (python3 not found)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11 or newer is needed; found $("$PYTHON" --version 2>&1)"

# System packages: fonts and Pango for PDF certificates (WeasyPrint); Chromium and poppler for browser tests.
system_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v dpkg-query >/dev/null; then
    echo "civlearn: not a Debian system; make sure these (or their equivalents) are installed: $*" >&2
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "civlearn: installing system packages: ${missing[*]}"
    apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || die "could not install: ${missing[*]}"
  else
    die "missing system packages: ${missing[*]} — install them with: sudo apt-get install ${missing[*]}"
  fi
}

# gettext: msgfmt compiles the translations (.po → .mo) that messages() builds; .mo files are not committed.
RUNTIME_PACKAGES=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext libmagic1)
# nodejs: the SCORM 2004 sequencing tests drive the vendored scorm-again engine under Node (test_scorm_sequencing.py).
TEST_PACKAGES=(chromium poppler-utils nodejs)

python_env() {
  if [ ! -x .venv/bin/python ]; then
    echo "civlearn: creating .venv"
    "$PYTHON" -m venv .venv || die "could not create a virtual environment (install python3-venv)"
  fi
  local want have
  want=$(sha256sum requirements.lock | cut -d' ' -f1)
  have=$(cat .venv/.civlearn-lock 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    echo "civlearn: installing pinned dependencies (requirements.lock)"
    # This machine's pip configuration names local mirrors that may be absent; pip warns about each one.
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) \
      || die "pip could not install requirements.lock"
    echo "$want" > .venv/.civlearn-lock
  fi
}

# The English translations, compiled from the committed .po files (a .mo would be a binary copy to keep in step).
messages() {
  CIVLEARN_TESTING=1 .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0 \
    || die "compilemessages failed (is gettext installed? Debian: apt-get install gettext)"
}

local_env() {
  mkdir -p var
  if [ ! -f .env ] && [ -z "${SECRET_KEY:-}" ]; then
    # A local instance gets its own random key; production sets SECRET_KEY in its environment.
    key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
    printf 'SECRET_KEY=%s\nCIVLEARN_DEMO=1\n' "$key" > .env
    echo "civlearn: wrote .env with a new SECRET_KEY"
  fi
}
