"""Accounts in the browser: the first start's link once, invitations, resets, throttling."""

from __future__ import annotations

from tests.browser.desk import PASSWORD, OpenDesk, setup_link
from tests.browser.server import WebServer

CLAIRE = "claire@example.org"
UNCHECKED = "document.querySelectorAll('[minlength]').forEach(e => e.removeAttribute('minlength'))"


async def test_the_first_start_link_creates_the_staff_account_once_and_only_once(
    server: WebServer, open_desk: OpenDesk
) -> None:
    link = setup_link(server)
    desk = await open_desk()
    await desk.page.goto(link)
    await desk.page.get_by_label("Prénom et nom").fill("Claire Dupont")
    await desk.page.get_by_label("Adresse e-mail").fill(CLAIRE)
    await desk.choose_password("trop court")
    await desk.page.get_by_role("button", name="Créer le compte").click()
    # The browser's own check stops a short password; past it, the server's says why.
    await desk.page.evaluate(UNCHECKED)
    await desk.page.get_by_role("button", name="Créer le compte").click()
    await desk.expect_text("au moins 12 caractères")
    await desk.screenshot("dashboard-first-start-refused")
    await desk.choose_password()
    await desk.page.get_by_role("button", name="Créer le compte").click()
    await desk.expect_text("Bienvenue Claire : votre compte de l'équipe est créé.")
    other = await open_desk()  # the same link, elsewhere: gone
    await other.page.goto(link)
    await other.expect_text("Ce lien de premier accès n'est plus valable")
    await other.screenshot("dashboard-link-expired")
    await other.sign_in(CLAIRE)
    await other.expect_text("Bonjour Claire !")


async def test_an_invitation_sets_a_password_and_a_new_link_resets_it(
    server: WebServer, open_desk: OpenDesk
) -> None:
    staff = await open_desk()
    await staff.sign_in(CLAIRE)
    link = await staff.invite("Camille Martin", "camille@example.org", None)
    camille = await open_desk(width=375, height=740)
    await camille.page.goto(link)
    await camille.expect_text("Bonjour Camille !")
    await camille.screenshot("dashboard-invitation-375")
    await camille.accept(link)
    await camille.expect_text("votre mot de passe est enregistré")
    used = await open_desk()
    await used.page.goto(link)
    await used.expect_text("Ce lien n'est plus valable")

    await staff.open("/conseillers/equipe")  # Camille forgot her password
    card = staff.page.locator("li.card", has_text="camille@example.org")
    await card.get_by_role("button", name="Nouveau lien de mot de passe").click()
    reset = (await staff.notice()).rsplit(" ", 1)[-1]
    assert "/conseillers/invitation/" in reset
    await camille.accept(reset, "une autre phrase longue")
    await camille.expect_text("votre mot de passe est enregistré")
    fresh = await open_desk()
    await fresh.sign_in("camille@example.org", PASSWORD)  # the old password: refused
    await fresh.expect_text("Adresse e-mail ou mot de passe incorrect.")
    await fresh.sign_in("camille@example.org", "une autre phrase longue")
    await fresh.expect_text("Bonjour Camille !")


async def test_five_wrong_passwords_pause_the_sign_in(open_desk: OpenDesk) -> None:
    desk = await open_desk()
    for _ in range(5):
        await desk.sign_in(CLAIRE, "pas le bon mot de passe")
        await desk.expect_text("Adresse e-mail ou mot de passe incorrect.")
    await desk.sign_in(CLAIRE)  # even the right one, for a quarter of an hour
    await desk.expect_text("Trop d'essais infructueux")
    await desk.screenshot("dashboard-throttled")
    assert "/conseillers/connexion" in desk.page.url
