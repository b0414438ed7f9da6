#!/usr/bin/env python3
"""Kiln's io:// fork server for "init code" ETLs.

io:// runs the ETL's code.py once per object: a new process reads the object on stdin to EOF
and writes the result to stdout. Starting an interpreter (and the sandbox around it) for every
object costs far more than most transforms, so this server pays for it once per ETL per target:
it starts with the interpreter warm, and forks a new process for each object. The child runs
code.py as __main__, exactly as `python3 code.py` would, and exits; nothing of one object's run
is seen by the next.

    kiln_io_forkserver.py CODE_FILE SOCKET_NAME

SOCKET_NAME is a Unix socket made in the working directory (the ETL's folder). For each object,
kiln-io-attach (started by the target) connects and sends, in one message, the object's stdin,
stdout and stderr as file descriptors (SCM_RIGHTS) and its ETL_ARGS ("A" + value, or "N" for
none). When the child ends, the server answers "exit N" or "signal N" and closes the
connection. If the connection closes first (the target gave up on the object), the child and
everything it started are killed.

KILN_IO_CPU_SECONDS > 0 limits each child's CPU time (RLIMIT_CPU), as it limits a process per
object started without this server. Only the standard library is used.
"""
import array
import atexit
import gc
import os
import resource
import runpy
import selectors
import signal
import socket
import sys
import threading
import traceback

MAX_FDS = 3
MAX_ARGS = 64 * 1024


def child_main(conn_fds, etl_args, cpu_seconds):
    """In the forked child: become the object's process; returns to run code.py."""
    os.setpgid(0, 0)
    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    for target, fd in enumerate(conn_fds):
        os.dup2(fd, target)
    for fd in conn_fds:
        if fd > 2:
            os.close(fd)
    if etl_args is None:
        os.environ.pop("ETL_ARGS", None)
    else:
        os.environ["ETL_ARGS"] = etl_args
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


class ForkServer:
    def __init__(self, sock_name, cpu_seconds):
        self.sock_name = sock_name
        self.cpu_seconds = cpu_seconds
        self.children = {}  # pid -> the connection that asked for it
        self.sel = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        os.set_blocking(self.wake_r, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGTERM, self.terminate)
        self.listener = self.listen()

    def listen(self):
        # Bound under a temporary name and renamed once it listens: the name's presence means
        # the server is ready, which is what the target waits for.
        temp = f".{self.sock_name}.{os.getpid()}"
        for name in (temp, self.sock_name):
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(temp)
        os.chmod(temp, 0o600)
        sock.listen(128)
        os.rename(temp, self.sock_name)
        self.sel.register(sock, selectors.EVENT_READ, self.accept)
        self.sel.register(self.wake_r, selectors.EVENT_READ, self.reap)
        return sock

    def terminate(self, *_):
        for pid in list(self.children):
            self.kill(pid)
        sys.exit(0)

    @staticmethod
    def kill(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def receive(self, conn):
        """The request: (fds, etl_args), or None when it is not a whole, valid one."""
        conn.settimeout(5)
        fds = array.array("i")
        try:
            data, ancdata, _, _ = conn.recvmsg(MAX_ARGS + 1, socket.CMSG_SPACE(MAX_FDS * fds.itemsize))
        except OSError:
            return None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
        if len(fds) != MAX_FDS or not data or data[:1] not in (b"A", b"N"):
            for fd in fds:
                os.close(fd)
            return None
        etl_args = data[1:].decode("utf-8", "surrogateescape") if data[:1] == b"A" else None
        return list(fds), etl_args

    def accept(self, _):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return None
        request = self.receive(conn)
        if request is None:
            conn.close()
            return None
        fds, etl_args = request
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self.sel.close()
            self.listener.close()
            conn.close()
            for other in self.children.values():
                other.close()
            os.close(self.wake_r)
            os.close(self.wake_w)
            child_main(fds, etl_args, self.cpu_seconds)
            return "child"
        try:
            os.setpgid(pid, pid)  # as the child does: whichever runs first, the kill finds it
        except OSError:
            pass
        for fd in fds:
            os.close(fd)  # the child's now: its end of stdout closes with it
        conn.setblocking(False)
        self.children[pid] = conn
        self.sel.register(conn, selectors.EVENT_READ, lambda _, pid=pid: self.abandon(pid))
        return None

    def abandon(self, pid):
        """The target closed the connection while the child runs: kill the child."""
        conn = self.children.get(pid)
        if conn is None:
            return None
        try:
            if conn.recv(64):
                return None  # nothing is expected; ignore it
        except BlockingIOError:
            return None
        except OSError:
            pass
        self.kill(pid)
        return None

    def reap(self, _):
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid == 0:
                return None
            conn = self.children.pop(pid, None)
            if conn is None:
                continue
            self.sel.unregister(conn)
            if os.WIFSIGNALED(status):
                answer = f"signal {os.WTERMSIG(status)}\n"
            else:
                answer = f"exit {os.WEXITSTATUS(status)}\n"
            try:
                conn.setblocking(True)
                conn.sendall(answer.encode())
            except OSError:
                pass
            conn.close()
        return None

    def serve(self):
        while True:
            for key, _ in self.sel.select():
                if key.data(key.fileobj) == "child":
                    return


def exit_status(exit):
    """The status `python3 code.py` exits with after SystemExit(exit.code)."""
    code = exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def run_object(code_file):
    """In a forked child: runs code.py as __main__ and exits as the interpreter would.

    The interpreter's own exit would then tear down every module, touching (and so copying)
    the whole heap shared with the server: most of an object's cost. What a program can see of
    an exit is kept: non-daemon threads are waited for, atexit functions run, stdout and stderr
    are flushed, and the status is the same."""
    sys.argv = [code_file]
    try:
        runpy.run_path(code_file, run_name="__main__")
        status = 0
    except SystemExit as exit:
        status = exit_status(exit)
    except BaseException:  # noqa: B036 - the interpreter reports any exception this way
        traceback.print_exc()
        status = 1
    main_thread = threading.main_thread()
    for thread in threading.enumerate():
        if thread is not main_thread and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120  # what the interpreter exits with when stdout fails
    os._exit(status)


def main():
    code_file, sock_name = sys.argv[1], sys.argv[2]
    cpu_seconds = int(os.environ.get("KILN_IO_CPU_SECONDS", "0") or 0)
    server = ForkServer(sock_name, cpu_seconds)
    gc.freeze()  # the server's objects stay out of the children's collections (and copies)
    server.serve()
    # Only a forked child gets here: it is now the object's process.
    run_object(code_file)


if __name__ == "__main__":
    main()
