# subprocess, os.fork and waitpid from python3 (compared with native).
import os, subprocess, sys
r = subprocess.run(["ls", "/"], capture_output=True, text=True)
print("ls:", r.returncode, sorted(r.stdout.split())[:3])
r = subprocess.run(["sh", "-c", "echo from-sh; exit 4"], capture_output=True, text=True)
print("sh:", r.returncode, r.stdout.strip())
pid = os.fork()
if pid == 0:
    os._exit(7)
print("fork/wait:", os.waitpid(pid, 0)[1] >> 8)
p = subprocess.Popen(["sleep", "5"])
p.terminate()
print("terminated:", p.wait())
