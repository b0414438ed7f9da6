"""An io:// program for test_etl_io.py, run from a pod spec: reads the object on stdin to EOF
and answers "<stdout>|<ETL_ARGS or ->|<bytes read>", where <stdout> names the socket its stdout
is ("socket:[inode]": the same inside a sandbox's namespaces as outside them, and unique, unlike
the pid). Its command line carries the test's marker."""
import os
import sys

data = sys.stdin.buffer.read()
sys.stdout.write(f"{os.readlink('/proc/self/fd/1')}|{os.environ.get('ETL_ARGS', '-')}|{len(data)}")
