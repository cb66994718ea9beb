"""First thing run in every sandboxed process, before any untrusted code or data: rlimits and
the switch to an unprivileged user. Stdlib only (sent as source; see ``__init__.py``).

``sys.argv[1:6]`` are: CPU seconds, address space bytes, largest file bytes, process count
(0 = leave as is) and the uid/gid to switch to (-1 = stay). They are removed from ``sys.argv``.
"""

import os
import resource
import sys


def _confine():
    cpu, memory, fsize, nproc, uid = (int(v) for v in sys.argv[1:6])
    del sys.argv[1:6]
    if uid >= 0 and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            os._exit(125)
    limits = [("RLIMIT_CPU", cpu), ("RLIMIT_AS", memory), ("RLIMIT_FSIZE", fsize)]
    limits += [("RLIMIT_CORE", 0)] + ([("RLIMIT_NPROC", nproc)] if nproc > 0 else [])
    for name, value in limits:
        resource.setrlimit(getattr(resource, name), (value, value))


_confine()
