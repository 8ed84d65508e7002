"""The bench reads how much CPU the server used (so a figure from shared cores can be read right)."""
from __future__ import annotations

import subprocess
import sys
import time

from eval.bench.processes import ServeProcess


def test_cpu_seconds_of_a_real_process_grow_while_it_works() -> None:
    server = ServeProcess(env={})
    assert server.cpu_s() == 0.0  # not started
    server.proc = subprocess.Popen([sys.executable, "-c",
                                    "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
                                    "time.sleep(30)"])
    try:
        deadline = time.monotonic() + 30
        while server.cpu_s() < 0.4:
            assert time.monotonic() < deadline, "the busy child never showed its CPU time"
            time.sleep(0.05)
        assert server.cpu_s() < 5.0
    finally:
        server.proc.kill()
        server.proc.wait()
    assert server.cpu_s() == 0.0  # gone
