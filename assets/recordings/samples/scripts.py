"""Dialogue scripts for sample calls: outbound sales and inbound support, in English and Bokmål.

Turns alternate agent/customer, starting with the agent. Placeholders filled in per call:
``{agent}`` (agent's first name), ``{customer}`` (customer's first name), ``{company}`` and
``{phone}`` (the customer's number as the agent reads it back). Inbound calls start after the
IVR consent prompt, which the dialer records as metadata, so no script mentions recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Speaker = Literal["agent", "customer"]
Kind = Literal["sales", "support"]
Language = Literal["en", "nb"]

COMPANY = {"en": "Northwind", "nb": "Nordvind"}

CUSTOMER_NAMES = {
    "en": ("Oliver", "Emma", "James", "Sophie", "Harry", "Grace"),
    "nb": ("Kari", "Ola", "Nora", "Jonas", "Hanne", "Per"),
}


@dataclass(frozen=True)
class Line:
    speaker: Speaker
    text: str


@dataclass(frozen=True)
class Script:
    """One conversation template; ``outcome`` is what the dialer would log for it."""

    key: str
    kind: Kind
    language: Language
    campaign: str
    outcome: str
    turns: tuple[str, ...]

    def render(self, *, agent: str, customer: str, phone: str) -> list[Line]:
        values = {
            "agent": agent,
            "customer": customer,
            "company": COMPANY[self.language],
            "phone": phone,
        }
        return [
            Line("agent" if i % 2 == 0 else "customer", text.format(**values))
            for i, text in enumerate(self.turns)
        ]


SCRIPTS: tuple[Script, ...] = (
    Script(
        "sales-en-price",
        "sales",
        "en",
        "fiber-upgrade-q4",
        "no_sale",
        (
            "Hi, this is {agent} from {company}. Am I speaking with {customer}?",
            "Yes. What is this about?",
            "We can upgrade your home internet to fiber. What do you pay per month today?",
            "About forty pounds, and honestly, that is already too expensive.",
            "I understand. Fiber would only be five pounds more.",
            "No thanks, I will not pay more than that.",
            "Fair enough. Thank you for your time.",
        ),
    ),
    Script(
        "sales-en-unlimited",
        "sales",
        "en",
        "mobile-upgrade-q4",
        "sale",
        (
            "Good morning, {agent} from {company} here. Do you have a minute?",
            "Sure, but make it quick.",
            "Our unlimited data plan costs less than what you pay today. Interested?",
            "Maybe. Is there a long contract?",
            "No contract at all. Shall I text the offer to {phone}?",
            "Yes, that is my number. Send it.",
            "Great, it is on its way. Have a nice day.",
        ),
    ),
    Script(
        "sales-en-callback",
        "sales",
        "en",
        "fiber-upgrade-q4",
        "callback",
        (
            "Hello, this is {agent} calling from {company}. Is this {customer}?",
            "It is. Are you selling something?",
            "Faster broadband. Are you happy with your speed?",
            "Not really, it drops every evening. But I will not decide over the phone.",
            "That makes sense. Can I call you back on Thursday, on {phone}?",
            "Yes, Thursday afternoon works.",
        ),
    ),
    Script(
        "support-en-invoice",
        "support",
        "en",
        "support-billing",
        "resolved",
        (
            "{company} customer service, this is {agent}. How can I help?",
            "Hi. My invoice is wrong. You charged me twice this month.",
            "Sorry about that. Is the account on {phone}?",
            "Yes, that is my number.",
            "I can see the double charge. You get a refund within five days.",
            "Good, thank you.",
        ),
    ),
    Script(
        "support-en-app",
        "support",
        "en",
        "support-app",
        "unresolved",
        (
            "Thank you for calling {company}, you are speaking with {agent}.",
            "Hello. Your app crashes every time I open my bill.",
            "That sounds annoying. Have you updated the app?",
            "Yes, yesterday. It still crashes.",
            "Our developers know about this problem. I will add your case to the report.",
            "So you cannot fix it today? That is really frustrating.",
            "Not today, I am afraid. Thank you for your patience.",
        ),
    ),
    Script(
        "support-en-cancel",
        "support",
        "en",
        "support-retention",
        "resolved",
        (
            "{company}, this is {agent}. What can I do for you?",
            "I want to cancel. It is simply too expensive.",
            "I am sorry to hear that. What do you use the most?",
            "Just the mobile plan. I never watch the TV package.",
            "Then we remove the TV package. That saves you fifteen pounds a month.",
            "Oh, that is much better. Let's do that.",
        ),
    ),
    Script(
        "sales-nb-price",
        "sales",
        "nb",
        "fiber-upgrade-q4",
        "no_sale",
        (
            "Hei, det er {agent} fra {company}. Snakker jeg med {customer}?",
            "Ja, det er meg. Hva gjelder det?",
            "Vi har et godt tilbud på fiber. Hva betaler du i måneden nå?",
            "Rundt fem hundre kroner, og dere er altfor dyre.",
            "Det forstår jeg. Fiber koster bare femti kroner mer.",
            "Nei takk, jeg vil ikke betale mer.",
            "Helt i orden. Ha en fin dag.",
        ),
    ),
    Script(
        "sales-nb-unlimited",
        "sales",
        "nb",
        "mobile-upgrade-q4",
        "sale",
        (
            "God morgen, dette er {agent} fra {company}. Har du et minutt?",
            "Ja, men gjør det kort.",
            "Fri data koster mindre enn det du betaler nå. Høres det bra ut?",
            "Kanskje. Er det bindingstid?",
            "Nei, ingen bindingstid. Skal jeg sende tilbudet til {phone}?",
            "Ja, det stemmer. Send det.",
            "Supert, tusen takk for praten.",
        ),
    ),
    Script(
        "sales-nb-callback",
        "sales",
        "nb",
        "fiber-upgrade-q4",
        "callback",
        (
            "Hei, du snakker med {agent} fra {company}. Er dette {customer}?",
            "Ja. Selger du noe?",
            "Raskere bredbånd. Hvordan fungerer nettet om kvelden?",
            "Det faller ut hver kveld. Men jeg vil ikke bestemme meg på telefonen.",
            "Det skjønner jeg. Kan jeg ringe deg på {phone} på torsdag?",
            "Ja, torsdag ettermiddag passer fint.",
        ),
    ),
    Script(
        "support-nb-invoice",
        "support",
        "nb",
        "support-billing",
        "resolved",
        (
            "{company} kundeservice, du snakker med {agent}. Hva kan jeg hjelpe med?",
            "Hei. Fakturaen min er feil. Dere har trukket meg to ganger.",
            "Det beklager jeg. Gjelder det nummeret {phone}?",
            "Ja, det er mitt nummer.",
            "Jeg ser feilen. Du får pengene tilbake innen fem dager.",
            "Bra, takk for hjelpen.",
        ),
    ),
    Script(
        "support-nb-app",
        "support",
        "nb",
        "support-app",
        "unresolved",
        (
            "Takk for at du ringer {company}, du snakker med {agent}.",
            "Hei. Appen deres krasjer hver gang jeg åpner regningen.",
            "Så kjedelig. Har du oppdatert appen?",
            "Ja, i går. Den krasjer fortsatt.",
            "Utviklerne kjenner til feilen. Jeg legger saken din til i rapporten.",
            "Så dere kan ikke fikse det i dag? Det er veldig irriterende.",
            "Dessverre ikke i dag. Takk for tålmodigheten.",
        ),
    ),
    Script(
        "support-nb-cancel",
        "support",
        "nb",
        "support-retention",
        "resolved",
        (
            "{company}, det er {agent}. Hva kan jeg gjøre for deg?",
            "Jeg vil si opp. Det er rett og slett for dyrt.",
            "Det var synd å høre. Hva bruker du mest?",
            "Bare mobilen. Jeg ser aldri på TV-pakken.",
            "Da fjerner vi TV-pakken. Det sparer deg for to hundre kroner i måneden.",
            "Å, det er mye bedre. Da gjør vi det.",
        ),
    ),
)


def scripts_for(kind: Kind, language: Language) -> tuple[Script, ...]:
    """All variants of one kind of call in one language, in a stable order."""
    return tuple(s for s in SCRIPTS if s.kind == kind and s.language == language)
