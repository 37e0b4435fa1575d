#!/usr/bin/env bash
# Wheel check (run by `make test`, so by CI): a wheel is a complete install.
# Builds the sdist, then the wheel from that sdist (as pip does), checks both carry every example,
# style and icon, installs the wheel into a fresh venv (not editable, nothing downloaded: the
# dependencies are .venv's, reached through a .pth file) and, from a folder outside the checkout,
# runs `cnnstudio summary` on a packaged example and opens the editor offscreen on one.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The venv whose dependencies are reused and whose setuptools and pip (>= 22.3, for --python) build
# and install; the Makefile passes its own.
PY=${1:-$ROOT/.venv/bin/python}
case $PY in /*) ;; *) PY=$PWD/$PY ;; esac  # the checks below run from another folder
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
FRESH=$WORK/venv
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data  # no user settings
export QT_QPA_PLATFORM=offscreen PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH
mkdir -p "$HOME" "$WORK/dist"
cd "$WORK"  # nothing below may import the checkout

step() { printf 'wheel-check: %s\n' "$1"; }
# Runs a build step quietly; its whole output is shown when it fails.
quiet() {
  if ! "$@" >"$WORK/log" 2>&1; then
    cat "$WORK/log" >&2
    echo "wheel-check: FAILED: $*" >&2
    exit 1
  fi
}
trap 'echo "wheel-check: FAILED (line $LINENO)" >&2' ERR

step "sdist"
# From a copy of the files git would commit: a stale *.egg-info in the checkout would otherwise
# put into the sdist whatever an earlier build listed, hiding a gap in MANIFEST.in.
"$PY" - "$ROOT" "$WORK/src" <<'EOF'
import shutil, subprocess, sys
from pathlib import Path

root, dest = Path(sys.argv[1]), Path(sys.argv[2])
listed = subprocess.run(
    ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    check=True, capture_output=True,
).stdout.decode().split("\0")
for name in filter(None, listed):
    if (root / name).is_file():  # not a tracked file deleted in the working tree
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)
EOF
quiet bash -c 'cd "$1" && "$2" -c "import sys; from setuptools import build_meta as b; b.build_sdist(sys.argv[1])" "$3"' \
  _ "$WORK/src" "$PY" "$WORK/dist"
SDIST=$(echo "$WORK"/dist/cnnstudio-*.tar.gz)
step "wheel from $(basename "$SDIST")"
quiet "$PY" -m pip wheel --no-deps --no-build-isolation --no-index -w "$WORK/dist" "$SDIST"
WHEEL=$(echo "$WORK"/dist/cnnstudio-*.whl)

step "sdist and wheel carry examples/, resources/ and the docs"
"$PY" - "$ROOT" "$SDIST" "$WHEEL" <<'EOF'
import sys, tarfile, zipfile
from pathlib import Path

root, sdist, wheel = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
shipped = sorted(
    p.relative_to(root).as_posix()
    for folder in ("examples", "resources")
    for p in (root / folder).rglob("*")
    if p.is_file() and "__pycache__" not in p.parts
)
assert len(shipped) > 40, f"expected examples and icons in {root}, found {shipped}"
with tarfile.open(sdist) as tar:
    in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
with zipfile.ZipFile(wheel) as whl:
    in_wheel = set(whl.namelist())
missing = [f"sdist: {f}" for f in shipped if f not in in_sdist]
missing += [f"wheel: cnnstudio/{f}" for f in shipped if f"cnnstudio/{f}" not in in_wheel]
docs = ["README.md", *(p.relative_to(root).as_posix() for p in sorted((root / "docs").glob("*.md")))]
missing += [f"sdist: {f}" for f in docs if f not in in_sdist]
missing += [f"wheel: cnnstudio/help_docs/{f}" for f in docs if f"cnnstudio/help_docs/{f}" not in in_wheel]
missing += [f"wheel: {f}" for f in ("cnnstudio/py.typed",) if f not in in_wheel]
missing += ["wheel: LICENSE"] * (not any(n.endswith("/LICENSE") for n in in_wheel))
if missing:
    sys.exit("missing from the packages:\n  " + "\n  ".join(missing))
print(f"  {len(shipped)} shipped files in both")
EOF

step "install into a fresh venv"
"$PY" -m venv --without-pip "$FRESH"
"$PY" -c 'import sysconfig; print(sysconfig.get_path("purelib"))' \
  >"$("$FRESH/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/dependencies.pth"
quiet "$PY" -m pip --python "$FRESH/bin/python" install --no-deps --no-index "$WHEEL"

step "the installed package and its data lie in the fresh venv"
EXAMPLES=$("$FRESH/bin/python" - "$FRESH" <<'EOF'
import sys
from pathlib import Path

import cnnstudio
from cnnstudio.core.shipped import docs_dir, examples_dir, resources_dir

fresh = Path(sys.argv[1]).resolve()
for what, path in [("cnnstudio", Path(cnnstudio.__file__)), ("examples", examples_dir()),
                   ("resources", resources_dir()), ("docs", docs_dir())]:
    if not path.resolve().is_relative_to(fresh):
        sys.exit(f"{what} comes from {path}, not from the wheel installed in {fresh}")
assert (resources_dir() / "styles" / "app.qss").is_file()
assert (docs_dir() / "README.md").is_file() and (docs_dir() / "docs" / "training.md").is_file()
print(examples_dir())
EOF
)

step "cnnstudio summary (console script and python -m)"
"$FRESH/bin/cnnstudio" summary "$EXAMPLES/resnet_small.cnnstudio" >"$WORK/summary.txt"
grep -q "No issues: the network is ready to train." "$WORK/summary.txt" \
  || { cat "$WORK/summary.txt" >&2; echo "wheel-check: summary did not pass" >&2; exit 1; }
"$FRESH/bin/python" -m cnnstudio summary "$EXAMPLES/lenet5.cnnstudio" --json >/dev/null

step "the editor opens a packaged example offscreen and closes cleanly"
status=0
"$FRESH/bin/python" - "$EXAMPLES/vgg_small.cnnstudio" >"$WORK/gui.txt" 2>&1 <<'EOF' || status=$?
import faulthandler
import sys

faulthandler.dump_traceback_later(60, exit=True)  # a hang fails with a traceback

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from cnnstudio.core.shipped import resources_dir
from cnnstudio.gui import theme
from cnnstudio.gui.app import run_app

failures: list[str] = []


def check_and_close() -> None:
    app = QApplication.instance()
    windows = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
    if len(windows) != 1:
        failures.append(f"expected one main window, found {len(windows)}")
    elif "vgg_small.cnnstudio" not in windows[0].windowTitle():
        failures.append(f"window title {windows[0].windowTitle()!r} does not name vgg_small.cnnstudio")
    if resources_dir().as_posix() not in app.styleSheet():
        failures.append("the stylesheet was not read from the installed package")
    if theme.icon("save").isNull() or theme.app_icon().isNull():
        failures.append("an icon did not load")
    for window in windows:
        window.close()


app = QApplication(sys.argv[:1])  # first: a timer needs the event loop; run_app reuses the app
QTimer.singleShot(200, check_and_close)
code = run_app(sys.argv[1])
if failures:
    sys.exit("; ".join(failures))
sys.exit(code)
EOF
# Only the offscreen platform's note on window size hints may be printed.
if [ "$status" -ne 0 ] || grep -qv '^This plugin does not support propagateSizeHints()$' "$WORK/gui.txt"; then
  cat "$WORK/gui.txt" >&2
  echo "wheel-check: the editor exited $status; it must exit 0 and print nothing (output above)" >&2
  exit 1
fi
step "OK"
