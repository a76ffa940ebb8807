#!/usr/bin/env bash
# Print the path of a working Python X.Y interpreter, or explain how to get one and fail.
# Order: pythonX.Y on PATH (a pyenv shim counts only if it really runs), then pyenv's installs.
set -u
want="$1"
check() { [ -x "$1" ] && "$1" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; }
if cand=$(command -v "python$want" 2>/dev/null) && check "$cand"; then
  # Resolve a pyenv shim to the real interpreter so venvs do not depend on the shim.
  real=$("$cand" -c 'import sys; print(sys.executable)' 2>/dev/null) && echo "$real" && exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for p in $(ls -d "$root"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V -r); do
    if check "$p"; then echo "$p"; exit 0; fi
  done
fi
for p in /usr/bin/python$want /usr/local/bin/python$want; do
  if check "$p"; then echo "$p"; exit 0; fi
done
echo "错误：找不到 Python $want。请先安装（例如 'pyenv install $want' 或 'apt-get install python$want python$want-venv'），再重新运行 make。" >&2
echo "error: Python $want not found. Install it (e.g. 'pyenv install $want') and run make again." >&2
exit 1
