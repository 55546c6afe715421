"""Classical messages between nodes over SeQUeNCe's classical channels.

Protocols of our own (teleportation, later key relay) talk between nodes
through a :class:`Mailbox` per node: a SeQUeNCe ``Protocol`` registered on the
node, so a message travels the node's classical channel with its real delay and
is handed to the receiving node's mailbox, never to a peer object directly.
Every message says how many bits it carries, so protocols can report their
classical cost.
"""

from collections.abc import Callable
from enum import Enum, auto
from typing import Any

from sequence.message import Message
from sequence.protocol import Protocol
from sequence.topology.node import Node

MAILBOX_NAME = "qnetsim.mailbox"


class MailMsgType(Enum):
    """The one message type of mailboxes."""

    MAIL = auto()


class Mail(Message):
    """A message carrying an opaque ``payload`` of ``n_bits`` classical bits."""

    def __init__(self, payload: Any, n_bits: int) -> None:
        super().__init__(MailMsgType.MAIL, MAILBOX_NAME)
        self.protocol_type = MAILBOX_NAME  # type: ignore[assignment]  # SeQUeNCe declares it None
        self.payload = payload
        self.n_bits = n_bits

    def __repr__(self) -> str:
        return f"Mail({self.n_bits} bits)"


class Mailbox(Protocol):
    """Sends mail to other nodes' mailboxes and hands received mail to ``on_mail(src, payload)``."""

    def __init__(self, node: Node, on_mail: Callable[[str, Any], None]) -> None:
        super().__init__(node, MAILBOX_NAME, MAILBOX_NAME)
        self._on_mail = on_mail
        self.n_sent = 0
        self.n_bits_sent = 0
        # SeQUeNCe's resource manager walks node.protocols expecting memories and release().
        self.memories: list[Any] = []
        node.protocols.append(self)

    def release(self) -> None:
        """Nothing to release: a mailbox holds no memory."""

    def send(self, dst: str, payload: Any, n_bits: int) -> None:
        """Send ``payload`` (``n_bits`` bits on the wire) to node ``dst``."""
        self.n_sent += 1
        self.n_bits_sent += n_bits
        self.owner.send_message(dst, Mail(payload, n_bits))

    def received_message(self, src: str, msg: Message) -> bool:
        self._on_mail(src, msg.payload)
        return True
