#!/usr/bin/env bash
# Run every test stage in order; stop at the first that fails, with a non-zero exit.
# Usage: scripts/test.sh [stage ...]   stages: lint sanity unit native integration vm molecule (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin
export PATH=$BIN:$PATH ANSIBLE_CONFIG=$PWD/ansible.cfg
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(lint sanity unit native integration vm molecule)

# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
# --durations: every run prints its slowest tests, so CI time can be measured where it goes.
run_pytest() { "$BIN/pytest" --durations=10 "$@"; }

# The lab instances the tests use: integration (2 and 3, one per pytest-xdist worker) and molecule (1)
# by default; another clone testing side by side on the same machine picks others. The vm stages use
# the first integration instance.
export FASTPATH_TEST_LAB_INSTANCES=${FASTPATH_TEST_LAB_INSTANCES:-2,3}
IFS=, read -ra INTEGRATION_INSTANCES <<<"$FASTPATH_TEST_LAB_INSTANCES"
export FASTPATH_TEST_LAB_INSTANCE=${INTEGRATION_INSTANCES[0]}
MOLECULE_LAB_INSTANCE=${FASTPATH_TEST_MOLECULE_INSTANCE:-1}
# Whatever a stage leaves up when it fails, the lab instances it used are brought down: only those
# of the stages that ran, so `test.sh sanity` beside a running integration stage leaves its labs be.
LABS_USED=()
cleanup() {
  for i in "${LABS_USED[@]}"; do
    "$BIN/fastpath" lab down --instance "$i" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

stage_lint() {
  ruff check .
  ansible-lint --profile production
}
# Ansible's own checks of the collection (docs, imports, pylint, pep8, shebangs, ...), the ones that run
# locally on this Python. ansible-test needs a path that ends in ansible_collections/fastpath/host:
# the in-place link under collections/ is one.
stage_sanity() {
  ANSIBLE_TEST_CONTENT_ROOT=$PWD/collections/ansible_collections/fastpath/host \
    ansible-test sanity --local --python 3.11
}
stage_unit() { run_pytest -q tests/unit; }
stage_native() { make -C native test; }
# Root-only tests: lab hosts, the machine's own sysctls and IRQs (put back after). One pytest-xdist
# worker per instance, each module whole on one worker: a site run leaves about 40% of this kind of
# machine's CPUs idle (vmstat: SSH round trips, systemd, waits for load), which a second module fills.
stage_integration() {
  LABS_USED+=("${INTEGRATION_INSTANCES[@]}")
  "$BIN/fastpath" lab image
  run_pytest -q -m "not vm" -n "${#INTEGRATION_INSTANCES[@]}" --dist loadfile tests/integration
}
# The same lab instance with QEMU VMs as its servers (see docs/lab.md): the tests only a VM can run.
# One fleet is shared by the tests of a module; the VM image is cached like the lab image.
stage_vm() {
  LABS_USED+=("$FASTPATH_TEST_LAB_INSTANCE")
  "$BIN/fastpath" lab image --kind vm
  run_pytest -q -m "vm and not vm_long" tests/integration
}
# The VM proofs that build native/ inside a TCG VM (deploy, smoke, restore after it): about 15 more
# minutes than CI's budget holds, so they run only when asked for: `scripts/test.sh vm-long`.
stage_vm-long() {
  LABS_USED+=("$FASTPATH_TEST_LAB_INSTANCE")
  "$BIN/fastpath" lab image --kind vm
  run_pytest -q -m vm_long tests/integration
}
stage_molecule() {
  LABS_USED+=("$MOLECULE_LAB_INSTANCE")
  "$BIN/fastpath" lab image
  for config in molecule/*/molecule.yml; do
    scenario=$(basename "$(dirname "$config")")
    echo "==> molecule test -s $scenario"
    FASTPATH_LAB_INSTANCE=$MOLECULE_LAB_INSTANCE molecule test -s "$scenario"
  done
}

for s in "${STAGES[@]}"; do
  declare -F "stage_$s" >/dev/null || { echo "test.sh: unknown stage '$s'" >&2; exit 2; }
  echo "==> [$s] $(date +%T)"
  start=$SECONDS
  "stage_$s"
  echo "==> [$s] passed in $((SECONDS - start)) s"
done
echo "==> all stages passed: ${STAGES[*]}"
