#!/usr/bin/env bash
# One virtual environment per peer, outside the package's dependencies (gitignored):
#   bash benchmarks/peers/setup.sh        # creates benchmarks/peers/.venv-dlc2action
# The SimBA-style random forest needs only scikit-learn / scipy / pandas / numpy and runs in
# the repository's .venv (they are there already; nothing is installed into it).
# Network is needed here only; benchmarks/peers/run.py downloads nothing.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-python3.11}"
VENV="$HERE/.venv-dlc2action"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/pip" install --quiet)
# torch 2.13.0. The CPU build (https://download.pytorch.org/whl/cpu, ~190 MB) is not usable
# with the torchvision wheels on PyPI (their _C.so links libtorch_cuda.so: "operator
# torchvision::nms does not exist" on import), and the CPU index has no DNS on this machine,
# so the PyPI build (CUDA libraries included, ~3 GB) is installed; it runs on the CPU.
if getent hosts download.pytorch.org >/dev/null; then
    "${PIP[@]}" "torch==2.13.0" "torchvision==0.28.0" --index-url https://download.pytorch.org/whl/cpu
else
    "${PIP[@]}" --isolated --cert /etc/ssl/certs/ca-certificates.crt "torch==2.13.0" "torchvision==0.28.0"
fi
# DLC2Action 1.0 with its own dependency list. matplotlib < 3.9: dlc2action 1.0 imports
# matplotlib.cm.get_cmap, removed in matplotlib 3.9 (ImportError on `import dlc2action.project`).
"${PIP[@]}" "dlc2action==1.0" "torch==2.13.0" "torchvision==0.28.0" "matplotlib<3.9"
"$VENV/bin/pip" freeze > "$HERE/.venv-dlc2action.freeze.txt"
"$VENV/bin/python" -c "import dlc2action.project, torch, torchvision; print('dlc2action ok, torch', torch.__version__, 'torchvision', torchvision.__version__)"
