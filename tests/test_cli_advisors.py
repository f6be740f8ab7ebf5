"""The advisors' command line: people and their link codes, counters' group codes, and leads."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.bootstrap import Comptoir
from bot.cli import main
from bot.core.catalog import Catalog
from bot.core.content import Content, load_qualification
from bot.services.accounts import normal_code
from bot.services.signin import SignedIn
from bot.storage import open_storage
from tests.advisors import ARRAS_COUNTER, DEPARTMENT_62, chats_of, file_in_arras, link_group

DIALOG = Path(__file__).resolve().parents[1] / "dialogs" / "qualification.yaml"
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
GROUP, OTHER_GROUP, CAMILLE = -1001, -1002, 7001
ARRAS_NAME = "Comptoirs à initiatives citoyennes du Pas-de-Calais"
DEPARTMENT_NAME = "Département du Pas-de-Calais — mission ESS"
UNKNOWN_COUNTER = "comptoir : structure inconnue : « nope » (voir `comptoir counters list`)\n"
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _embedded_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPTOIR_PSEUDONYM_KEY", raising=False)  # the CLI and tests: one key


@pytest.fixture(scope="module")
def content(catalog: Catalog) -> Content:
    return Content.build(catalog, load_qualification(DIALOG, catalog))


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/x.sqlite3"


class Cli:
    """Runs `comptoir …` on one database; keeps what it printed."""

    def __init__(self, database: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.database, self.capsys = database, capsys
        self.out = self.err = ""

    def __call__(self, *argv: str) -> int:
        self.capsys.readouterr()
        code = main([*argv, "--database", self.database])
        self.out, self.err = self.capsys.readouterr()
        return code

    def json(self, *argv: str) -> Any:
        assert self(*argv, "--json") == 0, self.err
        assert self.err == ""
        return json.loads(self.out)


@pytest.fixture
def cli(database: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(database, capsys)


def on_database(content: Content, database: str, work: Callable[[Comptoir], Awaitable[T]]) -> T:
    """Do some work with the services on the CLI's database, then close it."""

    async def run() -> T:
        storage = await open_storage(database)
        try:
            comptoir = Comptoir.assemble(content, storage)
            chats_of(comptoir)  # Telegram is served, as in production
            return await work(comptoir)
        finally:
            await storage.close()

    return asyncio.run(run())


def redeem(content: Content, database: str, chat_id: int, group: bool, code: str) -> str | None:
    """Type `/lier CODE` in a chat: the answer when it linked, None when refused."""

    async def work(comptoir: Comptoir) -> str | None:
        linked = await comptoir.accounts.link(chat_id, group, CAMILLE, code)
        return linked.answer if linked.ok else None

    return on_database(content, database, work)


def printed_code(out: str) -> str:
    """The code of a `/lier CODE` line."""
    found = re.search(r"^  /lier (\S+)$", out, re.MULTILINE)
    assert found is not None, out
    return found.group(1)


@pytest.fixture
def reference(content: Content, database: str) -> str:
    async def work(comptoir: Comptoir) -> str:
        await link_group(comptoir, GROUP, ARRAS_COUNTER)
        _, reference = await file_in_arras(comptoir)
        return reference

    return on_database(content, database, work)


# -- users --------------------------------------------------------------------------------------


def test_users_add_json_gives_a_code_that_links_a_private_chat_once(
    cli: Cli, content: Content, database: str
) -> None:
    added = cli.json(
        "users", "add", "--email", " camille@example.org ", "--name", "  Camille   Martin ",
        "--role", "advisor", "--counter", ARRAS_COUNTER, "--counter", ARRAS_COUNTER,
    )  # fmt: skip
    code = added.pop("telegram_code")
    assert added == {
        "id": 1,
        "email": "camille@example.org",
        "role": "advisor",
        "counters": [ARRAS_COUNTER],
        "password_set": False,
        "invitation_url": None,
    }
    assert CODE.match(code), code
    linked = content.advisors.answers.linked_person.format(name="Camille Martin")
    assert redeem(content, database, CAMILLE, False, code) == linked
    assert redeem(content, database, CAMILLE, False, code) is None  # single use
    [person] = cli.json("users", "list")
    assert person == {
        "id": 1,
        "email": "camille@example.org",
        "name": "Camille Martin",
        "role": "advisor",
        "counters": [ARRAS_COUNTER],
        "telegram_linked": True,
        "active": True,
    }
    assert cli("users", "list") == 0
    assert cli.out == (
        f"camille@example.org\tCamille Martin\tconseiller\t{ARRAS_COUNTER}\tTelegram lié\n"
    )


def test_users_add_prints_a_french_summary_and_a_seven_day_code(
    cli: Cli, content: Content, database: str
) -> None:
    add = ["users", "add", "--email", "dom@example.org", "--name", "Dom Sy"]
    assert cli(*add, "--role", "staff") == 0
    lines = cli.out.splitlines()
    assert lines[0] == "Dom Sy <dom@example.org> : équipe du Département."
    assert lines[1] == "Code à usage unique, valable 7 jours (à écrire au bot en message privé) :"
    assert lines[3] == "Transmettez-le par un canal sûr : il ne sera plus affiché."
    assert len(lines) == 4
    code = printed_code(cli.out)
    assert CODE.match(code)
    assert redeem(content, database, CAMILLE, False, code.lower().replace("-", " ")) is not None


@pytest.mark.parametrize("email", ["pas-une-adresse", "camille@exemple", "ca mille@example.org"])
def test_an_invalid_email_is_refused_in_french(cli: Cli, email: str) -> None:
    assert cli("users", "add", "--email", email, "--name", "Camille Martin", "--role", "staff") == 2
    assert cli.err == f"comptoir : adresse e-mail invalide : « {email} »\n"
    assert cli.out == ""
    assert cli.json("users", "list") == []


def test_a_duplicate_email_is_refused_whatever_its_case(cli: Cli) -> None:
    add = ["users", "add", "--name", "Dom Sy", "--role", "staff", "--email"]
    assert cli(*add, "dom@example.org") == 0
    assert cli(*add, "DOM@example.org") == 2
    assert cli.out == ""
    assert cli.err == "comptoir : une personne a déjà l'e-mail « DOM@example.org »\n"
    assert [p["name"] for p in cli.json("users", "list")] == ["Dom Sy"]


def test_an_advisor_needs_a_known_counter(cli: Cli) -> None:
    add = ["users", "add", "--email", "camille@example.org", "--name", "Camille Martin"]
    assert cli(*add, "--role", "advisor", "--counter", "nope") == 2
    assert cli.err == UNKNOWN_COUNTER
    assert cli(*add, "--role", "advisor") == 2
    assert cli.err == (
        "comptoir : un conseiller appartient à au moins une structure (--counter ID)\n"
    )
    assert cli.json("users", "list") == []


def test_a_disabled_person_is_listed_so_and_their_code_no_longer_links(
    cli: Cli, content: Content, database: str
) -> None:
    code = cli.json(
        "users", "add", "--email", "camille@example.org", "--name", "Camille Martin",
        "--role", "advisor", "--counter", ARRAS_COUNTER,
    )["telegram_code"]  # fmt: skip
    assert cli("users", "disable", "Camille@Example.org") == 0
    assert cli.out == "Camille Martin est désactivé(e).\n"
    assert cli("users", "list") == 0
    assert cli.out == (
        f"camille@example.org\tCamille Martin\tconseiller\t{ARRAS_COUNTER}\tdésactivé(e)\n"
    )
    [person] = cli.json("users", "list")
    assert (person["active"], person["telegram_linked"]) == (False, False)
    assert redeem(content, database, CAMILLE, False, code) is None
    assert cli("users", "disable", "personne@example.org") == 1
    assert cli.err == "Aucune personne n'a l'e-mail « personne@example.org ».\n"


def test_users_list_never_shows_codes_and_the_database_keeps_only_their_hashes(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("users", "list") == 0
    assert cli.out == "Personne pour l'instant : `comptoir users add …`.\n"
    add = ["users", "add", "--name", "Dom Sy", "--role", "staff", "--email"]
    codes = [cli.json(*add, email)["telegram_code"] for email in ("d@example.org", "s@example.org")]
    assert cli("counters", "link-code", "--staff") == 0
    codes.append(printed_code(cli.out))
    assert cli("users", "list") == 0
    listed = cli.out + json.dumps(cli.json("users", "list"))
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("x.sqlite3*"))
    for code in codes:
        for form in (code, normal_code(code)):
            assert form not in listed
            assert form.encode() not in stored


# -- counters -----------------------------------------------------------------------------------


def test_a_counter_code_links_a_group_once_and_never_a_private_chat(
    cli: Cli, content: Content, database: str
) -> None:
    shown = cli.json("counters", "link-code", ARRAS_COUNTER)
    assert list(shown) == ["code"]
    code = shown["code"]
    assert CODE.match(code)
    assert redeem(content, database, CAMILLE, False, code) is None  # in private: refused, kept
    linked = content.advisors.answers.linked_counter.format(counter=ARRAS_NAME)
    assert redeem(content, database, GROUP, True, code) == linked
    assert redeem(content, database, OTHER_GROUP, True, code) is None
    rows = {row["id"]: row for row in cli.json("counters", "list")}
    assert len(rows) == len(content.catalog.knowledge.counters)
    assert rows[ARRAS_COUNTER] == {
        "id": ARRAS_COUNTER,
        "name": ARRAS_NAME,
        "groups": [GROUP],
        "advisors": [],
        "receives_leads": True,
    }
    assert rows[DEPARTMENT_62]["groups"] == [] and not rows[DEPARTMENT_62]["receives_leads"]
    assert cli("counters", "list") == 0
    assert f"{ARRAS_COUNTER}\t{ARRAS_NAME}\treçoit les demandes\n" in cli.out
    assert f"{DEPARTMENT_62}\t{DEPARTMENT_NAME}\taucun conseiller lié\n" in cli.out


def test_the_staff_code_links_the_staff_group(cli: Cli, content: Content, database: str) -> None:
    assert cli("counters", "link-code", "--staff") == 0
    assert cli.out.startswith(
        "Code à usage unique, valable 7 jours "
        "(à écrire dans le groupe Telegram, où le bot a été ajouté) :\n"
    )
    code = printed_code(cli.out)
    staff = content.advisors.answers.linked_staff
    assert redeem(content, database, GROUP, True, code) == staff
    assert redeem(content, database, GROUP, True, code) is None


def test_link_code_wants_a_counter_or_staff(cli: Cli) -> None:
    message = "comptoir : donnez l'identifiant d'une structure, ou --staff (pas les deux)\n"
    assert cli("counters", "link-code") == 2
    assert cli.err == message
    assert cli("counters", "link-code", ARRAS_COUNTER, "--staff") == 2
    assert cli.err == message


def test_an_unknown_counter_gets_no_code(cli: Cli) -> None:
    assert cli("counters", "link-code", "nope") == 2
    assert cli.err == UNKNOWN_COUNTER
    assert cli.out == ""


# -- leads --------------------------------------------------------------------------------------


def test_leads_list_shows_the_new_lead_and_filters(cli: Cli, reference: str) -> None:
    assert re.fullmatch(r"CPT-\d{4}-000001", reference)
    [lead] = cli.json("leads", "list")
    created = dt.datetime.fromisoformat(lead.pop("created_at"))
    assert created.tzinfo is not None
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=5)
    assert lead == {
        "reference": reference,
        "status": "nouveau",
        "counter_id": ARRAS_COUNTER,
        "commune": {"insee": "62041", "name": "Arras", "department": "62"},
        "forgotten": False,
    }
    assert len(cli.json("leads", "list", "--status", "nouveau")) == 1
    assert cli.json("leads", "list", "--status", "pris_en_charge") == []
    assert len(cli.json("leads", "list", "--counter", ARRAS_COUNTER)) == 1
    assert cli.json("leads", "list", "--counter", DEPARTMENT_62) == []
    assert cli("leads", "list") == 0
    assert re.fullmatch(
        rf"{reference}\t\d\d/\d\d/\d{{4}} \d\d:\d\d\tnouveau\t{ARRAS_COUNTER}\tArras\n", cli.out
    )
    assert cli("leads", "list", "--counter", DEPARTMENT_62) == 0
    assert cli.out == "Aucune demande.\n"


def test_leads_show_json_has_profile_reason_and_timeline(cli: Cli, reference: str) -> None:
    shown = cli.json("leads", "show", reference.lower())
    assert set(shown) == {
        "reference", "status", "counter_id", "created_at", "commune", "forgotten", "reason",
        "assigned_at", "taken_by", "excluded", "profile", "idea", "timeline",
    }  # fmt: skip
    assert (shown["reference"], shown["status"]) == (reference, "nouveau")
    assert shown["counter_id"] == ARRAS_COUNTER
    assert shown["reason"].startswith("couvre Arras")
    assert (shown["taken_by"], shown["excluded"], shown["forgotten"]) == (None, [], False)
    assert shown["profile"] == {
        "commune": "62041",
        "carrier": "association",
        "stage": "emergence",
        "themes": ["economie-circulaire"],
        "needs": ["financement"],
        "amount": 15000,
    }
    assert shown["idea"] == "On veut ouvrir une recyclerie pour réparer et revendre des objets"
    [routed] = shown["timeline"]
    assert (routed["kind"], routed["actor"]) == ("routed", "system")
    assert routed["detail"] == {"counter": ARRAS_COUNTER, "reason": shown["reason"]}
    assert dt.datetime.fromisoformat(routed["at"]) >= dt.datetime.fromisoformat(shown["created_at"])


def test_leads_show_reads_in_french(cli: Cli, reference: str) -> None:
    assert cli("leads", "show", reference) == 0
    lines = cli.out.splitlines()
    assert lines[0] == f"📋 Demande {reference}"  # the card, as the staff read it
    assert lines[1] == "Statut : Nouveau"
    for line in (
        "Commune : Arras (62) — Pas-de-Calais",
        "Porteur : une association",
        "Thèmes : Réemploi, réparation et économie circulaire",
        "Contact : Sam, Le matin — coordonnées visibles dès la prise en charge",
    ):
        assert line in lines
    assert any(line.startswith(f"Adressée à {ARRAS_NAME} : couvre Arras") for line in lines)
    assert lines[-2] == "Historique :"
    assert re.fullmatch(
        rf"  \d\d/\d\d/\d{{4}} \d\d:\d\d  adressée à {ARRAS_NAME}  — Comptoir", lines[-1]
    )


def test_leads_assign_moves_the_lead_and_records_why(cli: Cli, reference: str) -> None:
    assign = ["leads", "assign", reference, DEPARTMENT_62, "--reason", "  mieux placé\n ici "]
    assert cli(*assign) == 0
    assert cli.out.startswith(
        f"La demande {reference} est adressée à {DEPARTMENT_NAME} : mieux placé ici"
    )
    # nobody there yet: staff are told
    assert (
        "aucun conseiller sur Telegram ni sur le tableau de bord" in cli.out
    )  # nobody there yet: staff are told
    shown = cli.json("leads", "show", reference)
    assert (shown["counter_id"], shown["reason"]) == (DEPARTMENT_62, "mieux placé ici")
    assert shown["status"] == "nouveau"
    assert [e["kind"] for e in shown["timeline"]] == ["routed", "reassigned"]
    assert shown["timeline"][1]["actor"] == "cli"
    assert [
        lead["reference"] for lead in cli.json("leads", "list", "--counter", DEPARTMENT_62)
    ] == [reference]
    assert cli.json("leads", "list", "--counter", ARRAS_COUNTER) == []
    assert cli("leads", "show", reference) == 0
    assert f"Adressée à {DEPARTMENT_NAME} : mieux placé ici\n" in cli.out
    assert f"  réaffectée à {DEPARTMENT_NAME}  — ligne de commande\n" in cli.out


def test_unknown_references_and_counters_are_refused(cli: Cli, reference: str) -> None:
    assert cli("leads", "show", "CPT-1999-000042") == 1
    assert cli.err == "Aucune demande « CPT-1999-000042 ».\n" and cli.out == ""
    assert cli("leads", "show", "CPT-1999-000042", "--json") == 1
    assert cli("leads", "assign", "CPT-1999-000042", DEPARTMENT_62) == 1
    assert cli.err == "Aucune demande « CPT-1999-000042 ».\n" and cli.out == ""
    assert cli("leads", "assign", reference, "nope", "--reason", "essai") == 1
    assert cli.err.startswith("Je ne connais pas la structure « nope »") and cli.out == ""
    shown = cli.json("leads", "show", reference)
    assert shown["counter_id"] == ARRAS_COUNTER
    assert [e["kind"] for e in shown["timeline"]] == ["routed"]


def test_leads_output_keeps_the_citizens_contact_out(cli: Cli, reference: str) -> None:
    printed = json.dumps([cli.json("leads", "list"), cli.json("leads", "show", reference)])
    for command in (["leads", "list"], ["leads", "show", reference]):
        assert cli(*command) == 0
        printed += cli.out
    assert "sam@example.org" not in printed


def test_users_add_password_stdin_sets_a_dashboard_password_read_from_standard_input(
    cli: Cli, content: Content, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("une phrase de passe solide\n"))
    added = cli.json(
        "users", "add", "--email", "dominique@example.org", "--name", "Dominique Petit",
        "--role", "staff", "--password-stdin",
    )  # fmt: skip
    assert added["password_set"] is True
    assert "phrase" not in cli.out

    async def sign_in(comptoir: Comptoir) -> object:
        return await comptoir.signin.sign_in(
            "dominique@example.org", "une phrase de passe solide", "127.0.0.1"
        )

    assert isinstance(on_database(content, database, sign_in), SignedIn)


def test_users_add_refuses_a_weak_password_before_creating_anyone(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("court\n"))
    code = cli(
        "users", "add", "--email", "dominique@example.org", "--name", "Dominique Petit",
        "--role", "staff", "--password-stdin",
    )  # fmt: skip
    assert code != 0
    assert "au moins 12 caractères" in cli.err
    assert cli.json("users", "list") == []


def test_users_add_invite_and_users_invite_give_one_time_dashboard_links(
    cli: Cli, content: Content, database: str
) -> None:
    assert cli(
        "users", "add", "--email", "camille@example.org", "--name", "Camille Martin",
        "--role", "advisor", "--counter", ARRAS_COUNTER, "--invite",
    ) == 0  # fmt: skip
    assert "Lien du tableau de bord, à transmettre à la personne" in cli.out
    first = re.search(r"http://\S+/conseillers/invitation/([\w-]+)", cli.out)
    assert first is not None
    again = cli.json("users", "invite", "camille@example.org")
    second = again["invitation_url"].rsplit("/", 1)[-1]
    assert second != first.group(1)

    async def use(comptoir: Comptoir) -> tuple[object, object]:
        person = await comptoir.signin.invited(second)
        signed = await comptoir.signin.accept_invitation(
            second, "une phrase solide", "une phrase solide"
        )
        return person, signed.person.email

    person, email = on_database(content, database, use)
    assert person is not None and email == "camille@example.org"
    assert cli("users", "invite", "nobody@example.org") != 0
    assert "Aucune personne" in cli.err
