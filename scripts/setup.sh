#!/usr/bin/env bash
# Set up a fresh Debian 12 machine (as root) to run and test fastpath from this clone.
# Idempotent: each step checks first, so a second run changes nothing and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the dataplane's toolchain, the lab's tools, and what the tests drive.
APT_PACKAGES=(
  clang llvm gcc make pkg-config libbpf-dev libelf-dev zlib1g-dev liburing-dev libxdp-dev bpftool xdp-tools
  ethtool iproute2 procps iputils-ping debootstrap systemd-container openssh-client
  python3-venv iperf3 chromium jq git shellcheck qemu-system-x86 qemu-utils
)

step() { printf '==> %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "setup: run as root (it installs Debian packages)" >&2; exit 2; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  step "Debian packages present"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  step "Creating the virtual environment .venv/"
  "$PY" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.fastpath-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  step "Installing Python packages into .venv/"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  touch "$stamp"
else
  step "Python packages present"
fi

dest=collections/ansible_collections
# The clone itself is the collection fastpath.host: ansible.cfg puts collections/ on the collection
# path and this link makes the clone appear there. Made here rather than checked in, because a
# link to a directory is not allowed inside a collection (ansible-test sanity's symlinks test).
if [ "$(readlink "$dest/fastpath/host" 2>/dev/null)" != "../../.." ]; then
  step "Linking $dest/fastpath/host to this clone"
  mkdir -p "$dest/fastpath"
  rm -f "$dest/fastpath/host"
  ln -s ../../.. "$dest/fastpath/host"
else
  step "Collection link $dest/fastpath/host present"
fi
# ansible-test bootstraps pip into each sanity venv with a script it downloads from a host these
# machines cannot reach; scripts/get_pip_standin.py does that job with ensurepip. It is saved where
# ansible-test caches the script, under the pip version this ansible-test pins.
pip_version=$(.venv/bin/python - <<'PY'
import importlib.util, pathlib, re
src = (pathlib.Path(importlib.util.find_spec("ansible_test").origin).parent / "_internal/python_requirements.py").read_text()
m = re.search(r"default_packages = dict\(\s*pip='([0-9.]+)'", src)
print(m.group(1) if m else "")
PY
)
[ -n "$pip_version" ] || { echo "setup: cannot find the pip version ansible-test pins" >&2; exit 1; }
get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if cmp -s scripts/get_pip_standin.py "$get_pip"; then
  step "ansible-test's pip bootstrap stand-in present"
else
  step "Saving ansible-test's pip bootstrap stand-in as $get_pip"
  mkdir -p "$(dirname "$get_pip")"
  cp scripts/get_pip_standin.py "$get_pip"
fi
# The tests read plays as JSON through ansible.posix's json callback (ansible.builtin.json redirects
# there). The collection itself needs no other collection. Galaxy is out of reach, so ansible.posix is
# unpacked from this release of the `ansible` wheel on PyPI (12.x is built for ansible-core 2.19).
ANSIBLE_BUNDLE_VERSION=12.3.0
if [ -f "$dest/ansible/posix/MANIFEST.json" ]; then
  step "Collection ansible.posix present (for the tests)"
else
  step "Unpacking ansible.posix from ansible==$ANSIBLE_BUNDLE_VERSION (PyPI), for the tests"
  mkdir -p .deps
  wheel=$(find .deps -name "ansible-$ANSIBLE_BUNDLE_VERSION-*.whl" | head -1)
  if [ -z "$wheel" ]; then
    .venv/bin/pip download -q --no-deps -d .deps "ansible==$ANSIBLE_BUNDLE_VERSION"
    wheel=$(find .deps -name "ansible-$ANSIBLE_BUNDLE_VERSION-*.whl" | head -1)
  fi
  tmp=$(mktemp -d)
  # Only the one collection, not the whole 470 MB bundle.
  .venv/bin/python - "$wheel" "$tmp" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    z.extractall(out, [n for n in z.namelist() if n.startswith("ansible_collections/ansible/posix/")])
PY
  rm -rf "${dest:?}/ansible/posix"; mkdir -p "$dest/ansible"
  cp -a "$tmp/ansible_collections/ansible/posix" "$dest/ansible/posix"
  rm -rf "$tmp"
fi
step "Setup complete"
