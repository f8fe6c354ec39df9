# SPDX-License-Identifier: Apache-2.0
"""Replace a file in one step: a reader (node_exporter, a browser) sees the old file or the new one.

The temporary file is made in the target's own directory, because a rename is atomic only within
one file system. Stdlib only: the report renderer on the controller and fastpath-textfile on each
host both write through it.
"""

from __future__ import annotations

import os
import tempfile


def write_atomically(path, text: str, mode: int = 0o644) -> None:
    path = os.fspath(path)
    directory, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=directory or ".", prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
