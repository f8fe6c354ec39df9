# SPDX-License-Identifier: Apache-2.0
"""The one error the report raises for bad input; the action says it in one line, never a traceback.

Defined beside the host document it mostly guards (module_utils/report_doc.py), named here too so
the controller-side modules import their errors from their own package.
"""

from ansible_collections.fastpath.host.plugins.module_utils.report_doc import ReportError

__all__ = ["ReportError"]
