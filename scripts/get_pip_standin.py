# SPDX-License-Identifier: Apache-2.0
"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), which it downloads from a host
these machines cannot reach. scripts/setup.sh saves this file where ansible-test caches that script.

ansible-test runs it in each new sanity venv with pip's options and the pip it pins
(e.g. `--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel`): bootstrap the pip that
ships with Python (ensurepip), then let that pip install the pinned one from the package index.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}  # get-pip.py's own flags; pip install has none such

ensurepip.bootstrap(upgrade=True, default_pip=True)
# ensurepip leaves PIP_CONFIG_FILE=/dev/null in this process's environment; the pip below must read
# the machine's pip configuration (its index, proxy certificates) like any other pip here.
env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
if any(not a.startswith("-") for a in args):
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=env))
