"""The replay server's port: a free one, or a check that the user's is free.

No TensorFlow here: the launcher picks its port without importing TensorFlow.
"""

import errno
import socket


class PortError(OSError):
  """The replay server cannot serve on the port it was given."""


def free_port():
  """A port no one listens on now (the server takes it a moment later)."""
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def check_free(port, flag='--port'):
  """Refuses a port the server cannot take, before anything is written.

  Reverb (gRPC) listens on every interface, IPv4 and IPv6, so the port must
  be free on all of them; a port left in TIME_WAIT by an ended server counts
  as free, as it does for gRPC (`SO_REUSEADDR`).

  Args:
    port: the port to serve on.
    flag: the flag that chose it, named in the error.

  Raises:
    PortError: naming the port, the cause and what to do.
  """
  if not 0 < int(port) < 65536:
    raise PortError(f'{flag}={port} is not a port: choose one in [1, 65535]. '
                    'Nothing was changed.')
  for family, host in ((socket.AF_INET, ''), (socket.AF_INET6, '::')):
    try:
      s = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
      continue  # No IPv6 on this machine: gRPC does not listen there either.
    with s:
      s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
      try:
        s.bind((host, int(port)))
      except OSError as e:
        if e.errno == errno.EADDRNOTAVAIL:
          continue  # The family has no address here.
        cause = ('another process listens on it'
                 if e.errno == errno.EADDRINUSE else e.strerror)
        raise PortError(
            f'port {port} ({flag}) cannot be served: {cause}. Choose a free '
            f'port with {flag}=..., or stop the process that holds it '
            f"(ss -ltnp 'sport = :{port}' names it). Nothing was changed."
        ) from None
