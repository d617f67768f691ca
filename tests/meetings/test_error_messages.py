"""Every refusal the API or a socket sends is a catalogue msgid with a bokmål and a nynorsk
translation; the error code stays the same in every language.

The msgids are read from the source: the first argument of every domain error raised (and the
message of every ProtocolError), the messages handed to the precondition helpers (marked with
gettext_noop), the words filled into messages (`Words`), and every other gettext string of the
server packages, which also end up in refusals (closure grounds, exemption reasons)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import translation
from django.utils.translation import trans_real

from frontend import views
from meetings import exceptions, state
from meetings.exceptions import DomainError, IllegalTransition, LegalRuleViolation
from meetings.protocol import ProtocolError
from meetings.services import votes
from tests.factories import meeting_with_item_open
from tests.helpers import ORIGIN, Socket, token_for

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["meetings", "minutes", "frontend", "livestream", "archive_search"]
ERRORS = {name for name, value in vars(exceptions).items() if isinstance(value, type)
          and issubclass(value, DomainError)}
MARKERS = {"gettext", "gettext_lazy", "gettext_noop", "_", "pgettext", "Text", "Words"}
# The words the state tables and the votes fill into refusals (`Words` params).
FILLED_WORDS = [*state._IN_WORDS.values(), *state._REFUSALS.values(), *state._DOORS_REFUSALS.values(),
                *votes._KIND_WORDS.values(), *views._FIELD_CHOICES.values()]


def _sources() -> list[Path]:
    return [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py")) if "migrations" not in p.parts]


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _message_args() -> list[tuple[str, ast.expr]]:
    """Each raised error's message expression, with where it is."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name, where = _name(node.func), f"{path.relative_to(ROOT)}:{node.lineno}"
            if name in ERRORS and node.args:
                found.append((where, node.args[0]))
            elif name == "ProtocolError" and len(node.args) > 1:
                found.append((where, node.args[1]))
    return found


def _catalogued_literals() -> set[str]:
    literals = {arg.value for _, arg in _message_args() if isinstance(arg, ast.Constant) and arg.value}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and _name(node.func) in MARKERS and node.args:
                first = node.args[-1] if _name(node.func) == "pgettext" else node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    literals.add(first.value)
    return literals | set(FILLED_WORDS)


def _catalogue(language: str):
    """The compiled catalogues Django reads for `language` (the project's and the apps'), merged."""
    return trans_real.translation(language)._catalog


def test_it_raises_every_refusal_with_a_fixed_msgid():
    """An f-string or a concatenation would make each refusal its own msgid, never translated:
    what varies goes in `params`. A name is a message built elsewhere (a helper's argument)."""
    built = [(where, ast.unparse(arg)) for where, arg in _message_args()
             if not isinstance(arg, (ast.Constant, ast.Name, ast.Subscript))
             and not (isinstance(arg, ast.Call) and _name(arg.func) in MARKERS)]
    assert built == []


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_refusal_has_a_translation(language):
    catalogue = _catalogue(language)
    missing = sorted(m for m in _catalogued_literals() if not catalogue.get(m))
    assert missing == [], f"{len(missing)} messages lack a {language} translation"


@pytest.mark.parametrize(("language", "expected"), [
    ("nb", "dette kan ikke gjøres mens møtet er slutt"), ("nn", "dette kan ikkje gjerast medan møtet er slutt"),
    ("en", "this cannot be done while the meeting is ended")])
def test_it_words_a_refusal_and_its_filled_in_words_in_the_readers_language(language, expected):
    with pytest.raises(IllegalTransition) as refused:
        state.next_meeting_state("ended", "open")
    with translation.override(language):
        assert refused.value.as_dict() == {"code": "illegal_transition", "message": expected}
    assert str(refused.value) == "this cannot be done while the meeting is ended"  # the log stays English


def test_it_keeps_the_code_and_fills_in_the_params_in_every_language():
    error = LegalRuleViolation("proposal %(n)s was withdrawn", params={"n": 7}, code="proposal_withdrawn")
    with translation.override("nb"):
        nb = error.as_dict()
    with translation.override("nn"):
        nn = error.as_dict()
    assert nb["code"] == nn["code"] == "proposal_withdrawn"
    assert "7" in nb["message"] and "7" in nn["message"] and nb["message"] != error.message


def test_it_words_a_protocol_refusal_in_the_readers_language():
    error = ProtocolError("unknown_type", "unknown message type %(type)s", params={"type": "'x'"})
    with translation.override("nb"):
        assert error.translated() != error.message and "'x'" in error.translated()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "expected"), [
    ("nb", "du står allerede på talerlisten"), ("nn", "du står alt på talarlista"),
    ("en", "you are already on the speakers list")])
async def test_a_member_is_refused_over_the_socket_in_their_language(language, expected):
    from asgi import application

    council, meeting = await database_sync_to_async(meeting_with_item_open)(slug=f"err{language}")
    member = council.members[0]
    s = Socket("/")
    s.comm = WebsocketCommunicator(application, f"/ws/meetings/{meeting.id}/?token={await token_for(member)}",
                                   headers=[*ORIGIN, (b"accept-language", f"{language},en;q=0.5".encode())])
    assert (await s.connect())[0]
    assert (await s.recv())["type"] == "hello"
    assert (await s.call("floor.request"))["type"] == "ack"
    again = await s.call("floor.request")
    await s.close()
    assert again["type"] == "error"
    assert again["error"] == {"code": "already_requested", "message": expected}
