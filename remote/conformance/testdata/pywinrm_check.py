"""Drive Debian's pywinrm (0.3.0) against a WinRM endpoint and print JSON.

Usage: pywinrm_check.py URL USER PASSWORD CMD PS_SCRIPT

Runs: run_cmd(CMD) -> stdout/stderr/exit code; run_ps(PS_SCRIPT) (a script
whose stderr is empty: pywinrm 0.3.0 crashes in run_ps on any stderr); and a
run_cmd with a wrong password, which must raise InvalidCredentialsError.
"""
import json
import sys

import winrm
from winrm.exceptions import InvalidCredentialsError


def main():
    url, user, password, cmd, ps = sys.argv[1:6]
    out = {"winrm_version": getattr(winrm, "__version__", "0.3.0")}
    s = winrm.Session(url, auth=(user, password), transport="basic")
    parts = cmd.split(" ", 1)
    r = s.run_cmd(parts[0], parts[1:] if len(parts) > 1 else [])
    out["cmd"] = {"stdout": r.std_out.decode("utf-8", "replace"),
                  "stderr": r.std_err.decode("utf-8", "replace"),
                  "exit_code": r.status_code}
    r = s.run_ps(ps)
    out["ps"] = {"stdout": r.std_out.decode("utf-8", "replace"),
                 "stderr": r.std_err.decode("utf-8", "replace"),
                 "exit_code": r.status_code}
    bad = winrm.Session(url, auth=(user, password + "-wrong"), transport="basic")
    try:
        bad.run_cmd("hostname")
        out["wrong_password"] = "accepted"
    except InvalidCredentialsError as e:
        out["wrong_password"] = "InvalidCredentialsError: " + str(e)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
