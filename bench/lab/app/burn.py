"""CPU work of a fixed cost: a pure-Python loop that runs until this thread has used MS milliseconds of CPU.
Counting the thread's own CPU time (not wall time) keeps the cost per request the same whether the thread
shares its core or waits for the GIL, so the lab measures queueing, not a loop that does less under load."""
import time

# One chunk of the loop costs about 10 µs of CPU on the lab's machine: the clock is read once per chunk.
_CHUNK = 200


def burn_cpu(ms: float) -> int:
    deadline = time.thread_time() + ms / 1000
    total = 0
    while time.thread_time() < deadline:
        for i in range(_CHUNK):
            total += i * i
    return total
