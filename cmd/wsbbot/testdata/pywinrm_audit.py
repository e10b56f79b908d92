"""The audit's collection, done by pywinrm in a thread pool: the peer
wsbbot is compared with in `make bench` (BenchmarkAuditNetwork).

Usage: pywinrm_audit.py INVENTORY_JSON SCRIPT_FILE USER PASSWORD THREADS

INVENTORY_JSON is a list of "http://127.0.0.1:PORT/wsman" endpoints. Each
endpoint gets one Session.run_ps(script) (create shell, command, receive,
signal, delete shell), THREADS at a time. Prints one JSON object: the wall
time and how many runs succeeded.
"""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import winrm


def main():
    inv_file, script_file, user, password, threads = sys.argv[1:6]
    with open(inv_file) as f:
        urls = json.load(f)
    with open(script_file) as f:
        script = f.read()

    def one(url):
        s = winrm.Session(url, auth=(user, password), transport="basic")
        r = s.run_ps(script)
        return r.status_code == 0 and b'"bmr"' in r.std_out

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=int(threads)) as pool:
        ok = sum(1 for good in pool.map(one, urls) if good)
    json.dump({"wall_s": time.monotonic() - start, "ok": ok, "hosts": len(urls)}, sys.stdout)


if __name__ == "__main__":
    main()
