#!/usr/bin/env python3
"""Write the Aldermoor task sets (tasks/<name>/train.jsonl and test.jsonl, and rma_extract/schema.json).

Four tasks for measuring where fine-tuning is supposed to win (issue 13), all about the fictional Aldermoor
Instruments of the bundled example and consistent with its documents:

* route_ticket (classify): a customer's support ticket -> the queue that handles it;
* rma_extract (extract): a customer's return e-mail -> {product, serial, fault, purchase_date};
* reply_style (generate): a ticket -> a reply in the house style ("Hello <first name>," ... "— Aldermoor Support");
* policy_quiz (choice): a question about a documented fact with four options.

Everything below is hand-written: ticket and e-mail fragments, symptom descriptions, replies and quiz questions.
The script only combines them, seeded, so that the output is the same on every run. Train and test never share a
ticket core, an e-mail frame, a symptom wording, a reply scenario or a quiz fact, so a few-shot prompt or a
fine-tuned model cannot pass the test split by copying a train row with other names filled in.

    python examples/aldermoor/tasks/build_tasks.py          # (re)write every task file
    python examples/aldermoor/check_example.py              # validate them

Only the standard library is needed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 13

# ---------------------------------------------------------------- shared pools

FIRST = [
    "Priya", "Tom", "Aisha", "Callum", "Ingrid", "Mateo", "Fiona", "Oluwaseun", "Hannah", "Lars", "Mei", "Rhys",
    "Sofia", "Gareth", "Yusuf", "Eilidh", "Marta", "Bjorn", "Chidi", "Rosa", "Kenji", "Niamh", "Ahmed", "Freya",
    "Pieter", "Leila", "Owain", "Grace", "Tariq", "Astrid", "Daniel", "Siobhan", "Ravi", "Elin", "Jakub", "Nadia",
    "Ewan", "Camille", "Samir", "Heather", "Joaquin", "Lucy", "Arjun", "Maja", "Connor", "Zainab", "Iain", "Birgit",
    "Matthew", "Ana", "Duncan", "Keiko", "Patrick", "Saoirse", "Henrik", "Bethan", "Ibrahim", "Clara", "Rory", "Anneke",
]
LAST = [
    "Nair", "Hughes", "Okafor", "Lindgren", "Ferreira", "MacLeod", "Patel", "Jensen", "Wright", "Kowalski", "Chen",
    "Evans", "Haddad", "Sørensen", "Campbell", "Moreau", "Abbott", "Iqbal", "Novak", "Fraser", "Tanaka", "Byrne",
    "Osei", "Holm", "de Vries", "Garcia", "Pritchard", "Murray", "Khan", "Bergström", "Doyle", "Mensah", "Lund",
    "Rossi", "Thornton", "Ahmadi", "Kerr", "Nilsen", "Barker", "Quinn", "Stewart", "Dubois", "Llewellyn", "Varga",
]
ORGS = [
    "Eden Valley Water", "Solway Rivers Trust", "Brackenfell Farms", "the University of Lancaster hydrology group",
    "Northfell Quarries", "Loch Awe Salmon", "Cumbria County Council", "Tyne Estuary Partners", "Greenhollow Vineyard",
    "Aarhus Forsyning", "Boulder Creek Consulting", "Skelwith Estate", "Highland Peatland Trust", "Wyre Fish Farm",
    "Harrowgate Construction", "the Dales National Park", "Fjordvik Aquaculture", "Mersey Flood Partnership",
    "Kintyre Agricultural College", "Westmarch Golf Club", "Penrith Grammar School", "Irthing Catchment Group",
]
SITES = [
    "Hollin Gill", "Skelwith weir", "Brackenthwaite", "the Loweswater intake", "Glenmore farm", "Ridgeway quarry",
    "the Solway outfall", "Crook Moss", "Gowbarrow", "the north reservoir", "Birkett Mire", "Langstrath",
    "the Tarn Hows borehole", "Ullock pasture", "the Caldew bridge", "Stainton", "Mardale", "the east paddock",
]
TOWNS_UK = ["Carlisle", "Kendal", "Inverness", "Leeds", "Perth", "Shrewsbury", "Dumfries", "Lancaster", "Truro"]
EU_COUNTRIES = ["Germany", "Ireland", "the Netherlands", "Denmark", "France", "Poland", "Finland", "Spain"]
NON_EU = ["Norway", "Switzerland", "Iceland", "Japan", "South Africa", "Chile", "New Zealand"]
FAR_AWAY = ["Western Australia", "Chile", "Kenya", "New Zealand", "Singapore", "Peru"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]

# Informal ways customers name each product.
PRODUCT_ALIASES = {
    "x200": ["X200", "X200 logger", "X200-LTE", "X200 unit", "logger (X200)"],
    "ws40": ["WS-40", "Corvid station", "WS-40 weather station", "Corvid WS-40", "WS40"],
    "aq7": ["AQ7", "Riffle probe", "AQ7 sonde", "Riffle AQ7", "AQ7 probe"],
    "sm3": ["SM3", "SM3-6 probe", "soil moisture probe", "SM3-4", "SM3 probe"],
    "g5": ["G5 gateway", "G5", "Larchmont gateway", "LoRaWAN gateway (G5)", "G5-EU gateway"],
    "x100": ["X100", "old X100 logger", "X100 unit"],
}
# Serial number formats (invented: the documents give none). The four digits after the prefix are the year and
# week of manufacture (YYWW); the X100's older format is six digits.
SERIAL_PREFIX = {"x200": "X2C", "ws40": "WS4", "aq7": "AQ7", "sm3": "SM3", "g5": "LG5", "x100": "X1"}


def jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def serial_for(rng: random.Random, product: str, before: dt.date | None = None) -> str:
    if product == "x100":
        return f"X1-{rng.randint(1000, 99999):06d}"
    day = (before or dt.date(2024, 3, 1)) - dt.timedelta(days=rng.randint(14, 160))
    year, week, _ = day.isocalendar()
    return f"{SERIAL_PREFIX[product]}-{year % 100:02d}{week:02d}-{rng.randint(1, 9999):04d}"


def short_date(rng: random.Random) -> str:
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"


def fills(rng: random.Random, product: str | None = None) -> dict[str, str]:
    """Values for every slot a ticket core may use."""
    product = product or rng.choice(["x200", "ws40", "aq7", "sm3", "g5"])
    first, last = person(rng)
    other_first, other_last = person(rng)
    return {
        "p": rng.choice(PRODUCT_ALIASES[product]),
        "serial": serial_for(rng, product),
        "site": rng.choice(SITES),
        "org": rng.choice(ORGS),
        "town": rng.choice(TOWNS_UK),
        "eu_country": rng.choice(EU_COUNTRIES),
        "non_eu": rng.choice(NON_EU),
        "far": rng.choice(FAR_AWAY),
        "order": f"AO-{rng.randint(100000, 999999)}",
        "inv": f"INV-{rng.randint(200000, 299999)}",
        "po": f"PO{rng.randint(10000, 99999)}",
        "rma": f"RMA-2024-{rng.randint(100, 4999):05d}",
        "quote": f"Q-{rng.randint(10000, 39999)}",
        "n": str(rng.randint(2, 9)),
        "big": str(rng.choice([12, 15, 18, 20, 24, 30, 36, 40, 45, 60, 80, 120])),
        "amount": f"{rng.randint(3, 95) * 10 + rng.choice([0, 5]):,}",
        "bigamount": f"{rng.randint(18, 240) * 1000:,}",
        "date": short_date(rng),
        "month": rng.choice(MONTHS),
        "weeks": str(rng.randint(3, 7)),
        "days": str(rng.randint(2, 6)),
        "volt": rng.choice(["3.5", "3.6", "3.4", "3.55"]),
        "colleague": f"{other_first} {other_last}",
        "email": f"{other_first.lower()}.{re.sub(r'[^a-z]', '', other_last.lower())}@example.org",
        "dept": rng.choice(["hydrology", "estates", "research", "agronomy", "environment", "operations"]),
        "first": first,
        "name": f"{first} {last}",
    }


# ================================================================ route_ticket

# Queues, each the team that owns the work in the documents (company/team-directory.md, policies/returns-and-rma.md,
# support/shipping-and-delivery.md): Finance (billing), the support desk and Kellbeck service centre (repairs),
# Fieldcraft (field-service), Tidewater (cloud-platform), the sales teams (sales) and Logistics (logistics).
ROUTE_LABELS = ["billing", "repairs", "field-service", "cloud-platform", "sales", "logistics"]

# Ticket cores: the substance of a ticket, 1-3 sentences, with slots. "*" marks a hard core (two topics, one
# clearly dominant). A core is used in one split only.
ROUTE_CORES: dict[str, list[str]] = {
    "billing": [
        "Invoice {inv} for our {p} order charges UK VAT, but we're a VAT-registered company in {eu_country} and gave "
        "our VAT number at checkout. Could someone issue a corrected copy?",
        "We paid invoice {inv} by bank transfer on {date} and today got a payment reminder for the same amount. Can "
        "you "
        "check your ledger and confirm it's settled?",
        "Our accounts payable team can't release payment unless purchase order {po} is printed on the invoice for "
        "order {order}. Please could you reissue it with the PO on it?",
        "I've been charged twice on the company card for order {order}: two identical transactions of £{amount} on "
        "{date}. Please reverse one of them.",
        "Could you send a statement of all open invoices on our account? Our year end is coming up and the auditors "
        "want it by the end of {month}.",
        "We sent back an unused {p} under {rma} and it passed your inspection {weeks} weeks ago, but the money still "
        "hasn't reached our card. When will it be paid?",
        "*The annual invoice for our Skyline Team subscription went to {colleague}, who left us in {month}. Please "
        "change the invoice contact to {email} and send it again.",
        "Our company has moved to a new office in {town}, but your invoices still show the old address. Can you update "
        "our customer account before the next one goes out?",
        "*Invoice {inv} works out the Priority support contract at 12% of our spend, but it seems to include a G5 "
        "order "
        "we cancelled. Could someone recheck the figure?",
        "*The credit note for the {p} we returned looks wrong: the 15% restocking fee seems to have been taken off "
        "twice. Can you look into it?",
        "Is it possible to pay invoice {inv} in euros rather than pounds? Our bank charges a lot for sterling "
        "transfers.",
        "*We've been charged the no-fault-found fee for the {p} we sent in last month, but it's the first thing we've "
        "sent back this year. Could the charge be cancelled?",
        "The direct debit for our annual subscription bounced because we changed banks in {month}. What details do "
        "you need to set up a new mandate?",
        "Please could you split invoice {inv} in two, one per cost centre? The {p} belongs to our {dept} department "
        "and the rest of the order to facilities.",
        "We're a registered charity and the quote said no VAT would be added, yet invoice {inv} includes it. I've "
        "attached our exemption certificate.",
        "Your reminder says invoice {inv} is {big} days overdue, but we never received the original. Could you email a "
        "copy so we can pay it this week?",
        "*Our {p} works perfectly, thanks, but the price on invoice {inv} is higher than on quote {quote}, which we "
        "accepted in {month}. Can the invoice be corrected to the quoted price?",
        "Could you tell me which of our invoices are still unpaid? Our finance system shows {inv} as the only open "
        "item but your reminder lists three.",
        "Could you send a pro-forma for order {order}? Our university can only pay against a pro-forma before the "
        "goods ship.",
        "We overpaid invoice {inv} by £{amount} by mistake. Can the difference be credited against our next invoice "
        "instead of being sent back?",
        "*The G5 is up and working nicely, but invoice {inv} charges us for two gateways and we only ever ordered one; "
        "the second line looks like a duplicate. Please correct it.",
        "Our auditors want PDF copies of every invoice from the last financial year. Can we download them somewhere, "
        "or could you email a bundle?",
        "The card payment for our annual renewal was declined on {date}. Could you send a payment link so we can use "
        "a different card?",
    ],
    "repairs": [
        "Our {p} at {site} stopped responding last week: the service button does nothing and the battery reads {volt} "
        "V on a meter. What's the next step to get it looked at?",
        "The status LED on our X200 now flashes red five times whenever we wake it. We've already downloaded the data, "
        "so how do we send the unit in?",
        "The pH sensor on our AQ7 reads about 0.8 high straight after a three-point calibration and the slope shows "
        "88%. It's only {n} months old; is it covered?",
        "Water has got inside the enclosure of our {p} even though every gland is sealed, and two channels now read "
        "nonsense. Could you issue an RMA number please?",
        "The wiper on our AQ7 has stopped turning and the sensor faces were badly fouled after only {weeks} weeks in "
        "the river. Can we have an exchange unit while it's looked at?",
        "One of the WS-40 stations we had installed in {month} reports 0 m/s wind even in a gale. The other readings "
        "look fine. Serial {serial}.",
        "*Since last night's firmware update our G5 won't finish booting, so we can't reach its local web page to "
        "restore the previous version. The gateway is only {n} months old.",
        "Lightning hit the mast at {site} and the {p} is dead. I know that may not be under warranty; can you quote "
        "to get it working again?",
        "Our SM3 readings at 40 cm dropped to almost zero while the other depths look normal. We've checked the soil "
        "contact, so could the sensor itself be faulty?",
        "The {p} we got back from you in {month} now shows exactly the same fault as before. Does the warranty still "
        "cover it?",
        "Three of our X200 loggers are invisible to the Field app even over USB, with fresh batteries in. We'd like to "
        "send all three back in one box.",
        "*We're on Premier support and the {p} at one of our flood-warning sites has failed. Can you ship the advance "
        "replacement today? The invoice details can follow later.",
        "Humidity on our WS-40 has read 100% for a fortnight, even on dry sunny days, and the filter cap was changed "
        "in {month}. Could the sensor head be faulty?",
        "Our AQ7 sat in a wastewater outfall and has now stopped answering on SDI-12. We've cleaned it and signed the "
        "decontamination declaration; where does it go?",
        "The PoE port on our G5 seems dead: the switch says it's supplying power but nothing lights up, yet the "
        "gateway starts fine on the DC input. Is that a warranty matter?",
        "*The Field app reports a sensor fault on channel 3 of our X200 even with a brand-new sensor and cable, on "
        "every terminal we try. The invoice for the new sensor is sorted; it's the logger itself I'm worried about.",
        "A BP-3D pack supplied with our {p} in {month} is already flat, after about four months at a 15-minute "
        "interval. Is the pack defective?",
        "The enclosure window on our X200 cracked during the cold snap and the desiccant turned green within days. "
        "The unit is {n} months old.",
        "Our G5 restarts itself every few hours and its uptime never gets past a morning. We've already swapped the "
        "PoE injector. How do we get the gateway checked?",
        "The SM3 we put in during {month} reads the same moisture at every depth, even after heavy rain. Could you "
        "look at it under warranty?",
        "*The parcel from your warehouse last week arrived fine, thanks. Separately, our older {p} has developed a "
        "fault: it restarts whenever the modem transmits. Can we arrange an RMA for it?",
        "Air temperature on our WS-40 has been stuck at -40 °C since {date}, while everything else on the station "
        "looks normal.",
        "The AQ7 we sent you for calibration in {month} came back, but its conductivity sensor now reads zero even in "
        "tap water. Could it have been damaged?",
    ],
    "field-service": [
        "We'd like one of your engineers to install two WS-40 stations at {site} in {month}. The ground is soft peat; "
        "is that a problem for the foundation?",
        "Our weather stations are due their yearly visit. Could you book a technician for {site} some time in {month}, "
        "ideally not on a Monday?",
        "*We still have {big} X100 loggers in our catchment and want your engineers to swap them for X200s on site "
        "with the WA-12 adapters. How do we book that, and roughly how long per site?",
        "Could someone come out to realign the sensor head on our Corvid station? The wind directions have looked "
        "rotated by about 40 degrees ever since it went up.",
        "We're interested in becoming a Certified Service Partner in {non_eu}. Who runs the programme and what "
        "training would our technicians need?",
        "The mast of our station at {site} has started leaning after last week's storm and probably needs guy wires. "
        "Can "
        "an engineer from Inverness get there before the winter?",
        "Could your engineer also bring spare humidity filter caps and clean the rain gauge funnel at the maintenance "
        "visit on {date}?",
        "Before we order anything, could someone visit {site} with us to check mobile coverage and obstacles for a "
        "weather station?",
        "Please move the engineer visit planned for {date} at {site}: the access road is flooded. Any day the "
        "following week works for us.",
        "The G5 on our water tower needs lifting to about 8 m because a new barn blocks the signal. Do your engineers "
        "do that kind of job?",
        "*Our own staff put up the WS-40 last spring, but our insurer now wants an Aldermoor engineer to check the "
        "earthing and the lightning conductor on site. The station itself works fine.",
        "Can your team commission the {n} SM3 probes we bought, including augering the holes? We don't have anyone "
        "trained to do it.",
        "We can't find the signed handover checklist from the installation at {site} in {month}. The engineer said it "
        "would be uploaded within a day of leaving site.",
        "{big} AQ7 probes across our fish farms need cleaning and calibrating in place. Could you send someone to do "
        "it rather than us shipping them all to Kellbeck?",
        "Next spring we want to move our Corvid station 200 m up the hill. Could your crew take it down and re-erect "
        "it, including a new foundation?",
        "*We bought three WS-40 stations through your Boulder office and need them put up at {site} by an Aldermoor "
        "crew. Payment is already arranged; what dates do you have?",
        "Our ranger will meet your installers at {site} on {date}. Is there anything we should prepare, such as "
        "digging or concrete, before they arrive?",
        "We've got a new monitoring site at {site} and want an engineer to survey it, then install and commission an "
        "X200 with a G5. Who do we talk to about dates?",
        "Does your Inverness team cover Orkney? Our WS-40 on Hoy needs its annual service before the autumn.",
        "The guy wires on our station at {site} have gone slack. Can you send someone to re-tension them and check "
        "the mast?",
        "Could one of your engineers spend a day on site at {site} showing our staff how to maintain the AQ7s in "
        "place?",
        "A new building now shades the solar panel of our WS-40 in winter. Can someone come out and move the panel to "
        "the other side of the mast?",
    ],
    "cloud-platform": [
        "Since this morning our API calls come back with HTTP 429 after a few seconds. We poll about {big} devices "
        "every minute; has something changed on your side?",
        "I've lost the phone with my authenticator app and I'm the only Owner of our workspace. How can I get back in?",
        "A chart on our dashboard won't take more than 12 series, but the regulator wants all {big} stations on one "
        "chart. Is there a way round that?",
        "Alarm emails for our river-level rule arrive, but nobody else was notified when the first person didn't "
        "acknowledge. The rule has three people on its escalation list.",
        "Scheduled CSV exports to our SFTP server stopped on {date} and no error shows on the export page. Can you see "
        "what's going on?",
        "A banner in our workspace says the oldest readings will soon pass their retention period. We're on Basic; "
        "how can we keep that history?",
        "I can't invite a new colleague because the invitation says we've reached our user limit. Where can I see "
        "who is counted?",
        "All times on our dashboards have been an hour off since the clocks changed, although the Field app shows "
        "them correctly. Where is the display time zone set?",
        "The public dashboard link we shared with {org} stopped working, even though we set it to expire next year "
        "and they're using the right PIN.",
        "Webhook alarms to our SCADA endpoint haven't fired since {date}. The endpoint is up and reachable from "
        "everywhere else.",
        "Our G5 gateways forward to your built-in network server and show as online, but nothing from the field "
        "devices has appeared in the workspace for two days.",
        "Since the Grisedale release some readings are missing from our charts; I think they were flagged as spikes "
        "automatically. How do we switch that off?",
        "The CSV import of our {big} devices fails with 'claim code mismatch' on every row. Is the file layout "
        "documented somewhere?",
        "Text-message alarms stopped reaching us on {date}. Have we used up the monthly allowance, and where can I "
        "see how many were sent?",
        "Our integration broke because timestamps from the API now come back in ISO 8601. Can we have Unix seconds "
        "again for a while?",
        "Single sign-on through our Azure AD fails for everyone in the workspace since this morning with an "
        "'assertion invalid' message.",
        "*Our {p} shows as 'not reported' on the device health page, yet the field team watched it upload this "
        "morning and the green LED flashes normally. Which should we believe?",
        "*We're happy with the hardware, but the audit log export in our workspace comes out empty for {month}, and "
        "our quality manager needs it for an audit next week.",
        "A colleague we removed from the workspace still gets alarm emails from one of our rules. How do we stop "
        "that?",
        "One of our API keys ended up in a public code repository. How do we revoke it and issue a new one?",
        "Derived channels using our rating-curve formula have shown blank values since yesterday, though the source "
        "channel has data.",
        "The wind rose on our dashboard only shows 8 sectors and we'd like 16. Where is that setting?",
        "*We scheduled a firmware update for {big} loggers from the web dashboard, and a day later most still show "
        "'queued'. The loggers themselves are uploading fine.",
    ],
    "sales": [
        "Could you quote {big} X200 loggers with the LTE modem and {n} SM3-6 probes, delivered to {town}?",
        "We're replacing {big} X100 loggers this year. Does the trade-in discount still apply if we order the X200s "
        "in two batches?",
        "What would Premier support cost for a network of about {big} devices? Our flood-warning stations need round-"
        "the-clock cover.",
        "Can we still add CarePlus to a WS-40 that was delivered {weeks} weeks ago, and what does it cost?",
        "Our research group would like to try an AQ7 before committing. Do you lend demonstration units or offer a "
        "trial period?",
        "We're bidding for a {big}-station monitoring network and need pricing for complete weather stations with a "
        "volume discount.",
        "Which gateway model would suit a site in Queensland, and could you quote two with spare antennas?",
        "*We're on Skyline Basic and will have about 40 devices by the summer. Which plan should we move to, and what "
        "would it cost per year?",
        "Could you put me in touch with your North American team? We're a consultancy in Denver looking at X200s for "
        "a client.",
        "Do you have a distributor in {non_eu}, or would we buy directly from you?",
        "Please could we have a price for moving our support from Standard to Priority? Our annual spend with you is "
        "roughly £{bigamount}.",
        "Our quote {quote} from the spring has expired. Could you reissue it at the same prices? We still want the "
        "{p} and the accessories on it.",
        "Would the SM3-4 or the SM3-6 suit stony vineyard soil better, and how soon could we get twenty?",
        "We'd like a price for an AQ7 fitted with pH, conductivity and dissolved oxygen sensors, calibrated, with a "
        "25 m cable.",
        "Does the 25-99 unit discount apply across different order codes, or only when all units are the same "
        "product?",
        "Our council plans to buy G5 gateways for {n} parks. Could someone present the options to our committee on "
        "{date}?",
        "*Our old {p} has been fine for years, but we're expanding to {n} new sites. What would a bundle of loggers, "
        "probes and a gateway cost?",
        "Could you send current prices for the AQ7 sensors? We're setting next year's budget.",
        "Do you offer academic pricing? Our university group is planning to buy ten X200s.",
        "We'd like Skyline Enterprise for our utility. Who can talk us through single sign-on and the price?",
        "We're a reseller in {non_eu}. Could we become a distributor for your weather stations?",
        "What's the difference between the G5-EU and the G5-AU, and what would each cost for a project in New "
        "Zealand?",
    ],
    "logistics": [
        "Order {order} left your warehouse {days} days ago, but the tracking number in the dispatch email shows no "
        "movement at all. Could you chase the courier?",
        "*The box with our {p} arrived this morning with a crushed corner, and the unit inside is cracked. We took "
        "photos of the packaging before opening it.",
        "We were sent an SM3-4 instead of the SM3-6 we ordered on {order}. How do we swap it?",
        "The courier wants us to pay import duty before delivering order {order} to {non_eu}. Was that expected?",
        "Can you send two spare BP-3D battery packs to our site in {far}? Air freight is fine with us.",
        "Our complete WS-40 is due on {date} at a field with no building. The driver will need directions and someone "
        "to meet them; who should I give the details to?",
        "Please change the delivery address for order {order} to our {town} depot. I believe it hasn't left you yet.",
        "*We ordered a {p} by mistake and it's still sealed in its box; it came {days} days ago. How do we send it "
        "back, and is there a charge?",
        "Could you cancel order {order}? We placed it twice by accident on {date}.",
        "We're in Ontario. Will order {order} come from Boulder or from Kellbeck, and how long should it take?",
        "*Our customs broker needs the HS codes for each item on order {order}, ideally on the commercial invoice. "
        "Could you send them today?",
        "The pallet with our WS-40 is booked for tomorrow, but the site lane can't take a 7.5-tonne lorry. Can it go "
        "to our depot in {town} instead?",
        "Three of the four parcels for order {order} have arrived. The fourth, with the G5 gateway in it, is missing, "
        "although the delivery note lists four.",
        "Is express delivery available to {eu_country}? We need a probe cable on site by Friday.",
        "Could we collect order {order} ourselves from Tarnside Business Park? It would save us a day.",
        "The X200 in our parcel came with its battery connector taped and unplugged. Is that normal, or has someone "
        "opened it on the way?",
        "We have {big} X200s on order {order} and need them all by {date} for a project start. Can you confirm a "
        "delivery date?",
        "Order {order} arrived with a WS-40 mast of the wrong length: we asked for the non-standard 4 m version. Can "
        "you exchange it?",
        "The delivery note for order {order} lists a UA-7 cable, but there wasn't one in the box.",
        "Can order {order} be delivered on a particular day? Our depot in {town} is only staffed on Tuesdays.",
        "Can you send AQ7 calibration solutions to us in {far}? I'm not sure whether they count as dangerous goods.",
        "Order {order} from your Boulder office is held at Canadian customs, and the courier says paperwork is "
        "missing. Can you help clear it?",
    ],
}
# Products a core's {p} may name (default: the main five).
ROUTE_PRODUCTS = {"billing": None, "repairs": ["x200", "ws40", "aq7", "g5"], "field-service": None,
                  "cloud-platform": ["x200", "ws40", "aq7", "g5"], "sales": ["x200", "aq7", "ws40", "x100"],
                  "logistics": None}

ROUTE_GREETINGS = ["", "", "Hi,", "Hello,", "Good morning,", "Hi there,", "Dear Aldermoor,", "Hello team,"]
ROUTE_ASIDES = [
    "We're a small water company in the Eden valley.", "Apologies if this is the wrong address.",
    "Our usual contact there seems to be on holiday.", "It's been a hectic spring here with the floods.",
    "I'm covering for a colleague this week.", "Happy to talk on the phone if that's easier.",
    "We've been customers since the X100 days.", "Thanks for the quick help last time.",
    "Sorry for the long message.", "Our field season starts in three weeks, so timing matters a bit.",
    "I'm new in this role, so bear with me.", "We run about thirty sites across the county.",
    "The weather here has been awful all week.", "I did search the Help Centre first but found nothing.",
]
ROUTE_SIGNOFFS = ["Thanks, {first}", "Regards, {name}", "{name}, {org}", "Cheers, {first}", "Best wishes, {name}",
                  "Many thanks", "", ""]
ROUTE_TEST_CORES = {"billing": 7, "repairs": 7, "field-service": 7, "cloud-platform": 7, "sales": 7, "logistics": 7}
ROUTE_COUNTS = {
    "train": {"billing": 26, "repairs": 32, "field-service": 27, "cloud-platform": 30, "sales": 27, "logistics": 30},
    "test": {"billing": 13, "repairs": 16, "field-service": 13, "cloud-platform": 15, "sales": 13, "logistics": 15},
}


def split_items(items: list, n_test: int, rng: random.Random) -> tuple[list, list]:
    """A seeded split of ``items`` into (train, test) with ``n_test`` test items."""
    order = list(range(len(items)))
    rng.shuffle(order)
    test = sorted(order[:n_test])
    return [items[i] for i in range(len(items)) if i not in test], [items[i] for i in test]


def build_route() -> dict[str, list[dict]]:
    rng = random.Random(SEED)
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    seen: set[str] = set()
    for label in ROUTE_LABELS:
        cores = ROUTE_CORES[label]
        hard = [c for c in cores if c.startswith("*")]
        easy = [c for c in cores if not c.startswith("*")]
        # Hard cores are shared out between the splits first, so both get some.
        hard_train, hard_test = split_items(hard, len(hard) // 2, rng)
        easy_train, easy_test = split_items(easy, ROUTE_TEST_CORES[label] - len(hard_test), rng)
        for split, pool in (("train", hard_train + easy_train), ("test", hard_test + easy_test)):
            need = ROUTE_COUNTS[split][label]
            made, i = 0, 0
            while made < need:
                core = pool[i % len(pool)].lstrip("*")
                i += 1
                products = ROUTE_PRODUCTS[label]
                f = fills(rng, rng.choice(products) if products else None)
                body = core.format(**f)
                parts = [rng.choice(ROUTE_GREETINGS)]
                aside = rng.random() < 0.35
                if aside and rng.random() < 0.5:
                    parts.append(rng.choice(ROUTE_ASIDES))
                    aside = False
                parts.append(body)
                if aside:
                    parts.append(rng.choice(ROUTE_ASIDES))
                greeting, rest = parts[0], " ".join(p for p in parts[1:] if p)
                text = f"{greeting}\n{rest}" if greeting else rest
                signoff = rng.choice(ROUTE_SIGNOFFS).format(**f)
                if signoff:
                    text += rng.choice(["\n", " "]) + signoff
                if norm(text) in seen:
                    continue
                seen.add(norm(text))
                splits[split].append({"input": text, "expected": label})
                made += 1
    for split, rows in splits.items():
        rng.shuffle(rows)
        for n, row in enumerate(rows, 1):
            row["id"] = f"route-{split}-{n:03d}"
        splits[split] = [{"id": r["id"], "input": r["input"], "expected": r["expected"]} for r in rows]
    return splits


# ================================================================ rma_extract

RMA_PRODUCTS = {
    "x200": "X200 data logger",
    "ws40": "Corvid WS-40 weather station",
    "aq7": "Riffle AQ7 water-quality probe",
    "sm3": "SM3 soil moisture profile sensor",
    "g5": "Larchmont G5 LoRaWAN gateway",
    "x100": "X100 data logger",
}
RMA_FAULTS = ["no-power", "inaccurate-readings", "water-ingress", "connectivity", "physical-damage", "firmware-fault"]
SERIAL_PATTERN = {
    "x200": "^X2C-[0-9]{4}-[0-9]{4}$",
    "ws40": "^WS4-[0-9]{4}-[0-9]{4}$",
    "aq7": "^AQ7-[0-9]{4}-[0-9]{4}$",
    "sm3": "^SM3-[0-9]{4}-[0-9]{4}$",
    "g5": "^LG5-[0-9]{4}-[0-9]{4}$",
    "x100": "^X1-[0-9]{6}$",
}

# Symptoms as customers describe them: (fault, products, train wording, test wording). {Dev}/{dev}: the device
# ("our X200 at Hollin Gill"). No wording names its fault category.
SYMPTOMS: list[tuple[str, list[str], str]] = [
    # no-power
    ("no-power", ["x200", "ws40", "x100"], "train",
     "{Dev} is completely dead: pressing the service button does nothing and no light comes on at all."),
    ("no-power", ["x200", "aq7", "x100"], "train", "{Dev} won't switch on any more, even with brand-new batteries."),
    ("no-power", ["g5"], "train", "Nothing lights up on {dev}, whether we feed it from PoE or from the 12 V input."),
    ("no-power", ["x200", "g5", "ws40"], "train",
     "{Dev} shut down overnight and hasn't come back, even on a bench supply."),
    ("no-power", ["aq7"], "train",
     "{Dev} won't wake up: we've tried four fresh C cells and the USB adaptor, and the Field app sees nothing."),
    ("no-power", ["sm3"], "train",
     "{Dev} draws no current at all from the logger's excitation output; it's as if nothing were plugged in."),
    ("no-power", ["ws40"], "test",
     "{Dev} has gone dark. The battery tests fine and the solar panel is clean, but there's no sign of life."),
    ("no-power", ["x200", "x100"], "test",
     "We measured 3.6 V at the battery connector, yet {dev} stays lifeless and won't start from USB either."),
    ("no-power", ["g5"], "test", "{Dev} shows no lights and the switch reports that it isn't drawing anything."),
    ("no-power", ["sm3"], "test",
     "{Dev} seems to have died: the logger's supply is fine, but the probe doesn't draw a single milliamp."),
    ("no-power", ["aq7"], "test", "{Dev} refuses to power up, even with new cells straight from the packet."),
    # inaccurate-readings
    ("inaccurate-readings", ["ws40"], "train",
     "{Dev} reads the air temperature about 4 °C higher than our reference thermometer."),
    ("inaccurate-readings", ["aq7"], "train",
     "pH from {dev} is 0.6 too high straight after a three-point calibration."),
    ("inaccurate-readings", ["x200", "x100"], "train",
     "Analogue channel 2 on {dev} reports roughly double the voltage we apply from a calibrator."),
    ("inaccurate-readings", ["ws40"], "train",
     "Wind direction from {dev} is off by about 90 degrees, even though the north marker is aligned."),
    ("inaccurate-readings", ["sm3"], "train",
     "The 60 cm depth on {dev} reports 5% water content while the soil around it is soaking wet."),
    ("inaccurate-readings", ["aq7"], "train",
     "Dissolved oxygen from {dev} has wandered by more than 2 mg/L against our handheld meter."),
    ("inaccurate-readings", ["aq7"], "test",
     "{Dev} gives values that jump by 30% from one interval to the next while nothing changes in the river."),
    ("inaccurate-readings", ["sm3"], "test",
     "Every depth on {dev} reports the same moisture value, whatever the weather."),
    ("inaccurate-readings", ["ws40"], "test",
     "{Dev} logs rain on completely dry days, and its barometric pressure is 15 hPa away from the nearby airfield's."),
    ("inaccurate-readings", ["x200", "x100"], "test",
     "Two channels on {dev} sit at a fixed value no matter what the sensors are doing."),
    # water-ingress
    ("water-ingress", ["x200", "ws40", "x100"], "train",
     "We found water pooled inside the enclosure of {dev} and droplets on the circuit board."),
    ("water-ingress", ["x200"], "train",
     "There is condensation behind the window of {dev}, and the desiccant went green within a week of being replaced."),
    ("water-ingress", ["g5", "ws40"], "train", "After the flood, {dev} had water standing inside its housing."),
    ("water-ingress", ["aq7", "sm3"], "train",
     "Water seems to have got into the connector of {dev}; the pins are green with corrosion."),
    ("water-ingress", ["sm3"], "train", "The cable joint on {dev} filled with water and the readings died soon after."),
    ("water-ingress", ["aq7", "x200"], "test",
     "When we opened the battery compartment of {dev}, about a teaspoon of water ran out."),
    ("water-ingress", ["g5", "x200"], "test", "{Dev} has misted up on the inside and there's a tide mark on the lid."),
    ("water-ingress", ["x200", "ws40"], "test",
     "Moisture has collected inside {dev}, although every unused gland has a blanking plug."),
    ("water-ingress", ["aq7"], "test",
     "There's water trapped behind the sensor ports of {dev} after a few weeks at 20 m."),
    # connectivity
    ("connectivity", ["x200", "ws40"], "train",
     "{Dev} hasn't uploaded anything since last month, although the signal test shows -95 dBm."),
    ("connectivity", ["x200", "g5"], "train",
     "The LTE modem in {dev} never registers on the network, with two different SIMs."),
    ("connectivity", ["x200"], "train",
     "{Dev} no longer joins the LoRaWAN network, even standing right next to the gateway."),
    ("connectivity", ["sm3", "aq7"], "train",
     "The logger can no longer find {dev} on the SDI-12 bus, and it's the only sensor on that bus."),
    ("connectivity", ["x200", "ws40"], "train",
     "Bluetooth pairing with {dev} fails every single time, from two different phones."),
    ("connectivity", ["x100"], "train", "{Dev} won't talk to Logger Studio over the serial cable any more."),
    ("connectivity", ["g5"], "test",
     "The Ethernet link light on {dev} stays off with three different cables, and it doesn't fall back to LTE either."),
    ("connectivity", ["x200", "ws40", "g5"], "test",
     "{Dev} appears offline in Skyline although its lights look normal and the SIM is active."),
    ("connectivity", ["aq7", "sm3"], "test",
     "Our logger gets no answer from {dev} over SDI-12 any more, though the other sensors on the bus are fine."),
    ("connectivity", ["x200", "g5"], "test",
     "{Dev} drops its mobile connection every few minutes and most uploads fail."),
    ("connectivity", ["x100"], "test", "Logger Studio can't see {dev} at all now, on two different laptops."),
    # physical-damage
    ("physical-damage", ["x200", "g5", "x100"], "train",
     "The enclosure of {dev} is cracked right across after it fell off its pole in a storm."),
    ("physical-damage", ["ws40"], "train",
     "A tractor clipped the mast, and {dev} now has a bent sensor arm and a split rain gauge."),
    ("physical-damage", ["aq7"], "train",
     "{Dev} was dragged along the riverbed in a spate: the guard is dented and one port is cracked."),
    ("physical-damage", ["sm3"], "train",
     "Rodents have chewed through the cable of {dev} about a metre from the probe."),
    ("physical-damage", ["g5"], "train", "The antenna of {dev} snapped off at the base in last week's gale."),
    ("physical-damage", ["aq7"], "test",
     "We dropped {dev} off the boat onto rocks, and the body now has a deep gouge near the wiper."),
    ("physical-damage", ["ws40"], "test",
     "Cattle pushed the mast over and the sensor head of {dev} hit the ground hard; one transducer is knocked askew."),
    ("physical-damage", ["x200", "g5"], "test",
     "{Dev} was crushed by a falling branch: the lid hinge is broken and the case is split."),
    ("physical-damage", ["sm3"], "test", "The cultivator caught {dev} and snapped the collar clean off the probe."),
    ("physical-damage", ["x100"], "test",
     "Someone drove a quad bike into {dev}; the case is shattered around the terminals."),
    # firmware-fault
    ("firmware-fault", ["x200", "ws40"], "train",
     "Since the firmware update, {dev} flashes red rapidly and never finishes starting."),
    ("firmware-fault", ["x200", "g5"], "train",
     "The update on {dev} stopped at about 80% and it now restarts every few minutes."),
    ("firmware-fault", ["g5"], "train",
     "{Dev} is stuck in a boot loop after the overnight GatewayOS release, so Restore previous isn't reachable."),
    ("firmware-fault", ["x200", "ws40"], "train",
     "We held the service button for 12 seconds for a manual rollback, but {dev} still won't start properly."),
    ("firmware-fault", ["x100"], "train",
     "After we updated it with Logger Studio, {dev} only shows a steady red light."),
    ("firmware-fault", ["x200", "ws40"], "test",
     "{Dev} has been stuck on a flashing blue light for two days since a local update from the Field app."),
    ("firmware-fault", ["g5"], "test",
     "Every time {dev} boots, its web page says the image failed verification, and then it reboots again."),
    ("firmware-fault", ["x200", "ws40"], "test",
     "The Field app update on {dev} was interrupted, and now the unit doesn't get past start-up."),
    ("firmware-fault", ["x100"], "test", "{Dev} has refused to start properly since we installed the 2.9.4 release."),
]

RMA_PARTS = {
    "subject": {
        "train": ["Subject: Return request – {alias}", "Subject: Faulty {alias}", "Subject: RMA please ({sn})",
                  "Subject: Problem with our {alias}", "Subject: {alias} from {site}"],
        "test": ["Subject: {alias} not working", "Subject: Sending a unit back", "Subject: help – {alias} ({site})",
                 "Subject: Warranty claim, {org}"],
    },
    "intro": {
        "train": ["I look after the monitoring network at {org}.", "We use your equipment at {org}.",
                  "I'm the field technician for {org}.", "I'm writing on behalf of {org}."],
        "test": ["{org} has been running Aldermoor kit for a few years.", "I manage the instruments for {org}.",
                 "Our team at {org} needs your help with a unit."],
    },
    "serial": {
        "train": ["The serial number is {sn}.", "Serial: {sn}", "Its serial is {sn}.", "The label says {sn}.",
                  "S/N {sn}."],
        "test": ["You'll find it under serial {sn}.", "(Serial no. {sn}.)", "The sticker inside reads {sn}.",
                 "SN: {sn}"],
    },
    "date": {
        "train": ["We bought it on {d}.", "It was purchased {d}.", "Purchase date: {d}.",
                  "Our invoice for it is dated {d}.", "We ordered it directly from you on {d}.",
                  "It was bought on {d}, so it should still be under warranty.",
                  "We bought it sometime in the week of {d_near} — the invoice says {d}."],
        "test": ["According to our records it was bought on {d}.", "Date of purchase was {d}.",
                 "We purchased it from you {d}.", "It was paid for on {d}; I can send the invoice if you need it.",
                 "I think it was around {month_near}, but our purchase order shows it was bought on {d}."],
    },
    "distractor": {
        "train": ["It was installed on {d2} and ran fine until recently.", "The fault started on {d2}.",
                  "We last calibrated it on {d2}."],
        "test": ["It went into service on {d2}.", "We first noticed the problem on {d2}.",
                 "It was last serviced on {d2}."],
    },
    "request": {
        "train": ["Could you issue an RMA number so we can send it back?", "Please let me know how to return it.",
                  "How do we get it to your service centre?", "Can we send it in under warranty?"],
        "test": ["What's the procedure for sending it to Kellbeck?", "Please advise on the return process.",
                 "We'd like it looked at as soon as possible; what do you need from us?"],
    },
}
RMA_GREETINGS = ["Hello,", "Hi Aldermoor support,", "Dear support team,", "Good afternoon,", "Hi there,", "Hello team,"]
RMA_SIGNOFFS = ["Thanks,\n{name}", "Kind regards,\n{name}\n{org}", "Best,\n{first}", "Many thanks,\n{name}",
                "Regards,\n{name}, {org}"]
# The order of an e-mail's parts; "?" marks an optional part. Train and test use different layouts.
RMA_FRAMES = {
    "train": [
        ["subject?", "greeting", "intro?", "problem", "serial", "date", "distractor?", "request", "signoff"],
        ["greeting", "problem", "date", "serial", "request", "signoff"],
        ["subject", "greeting", "intro", "serial", "problem", "distractor?", "date", "request", "signoff"],
        ["greeting", "intro?", "problem", "distractor?", "serial", "date", "signoff"],
    ],
    "test": [
        ["subject", "greeting", "date", "problem", "serial", "request", "signoff"],
        ["greeting", "serial", "intro?", "problem", "distractor?", "date", "request", "signoff"],
        ["subject?", "greeting", "problem", "request", "serial", "date", "distractor?", "signoff"],
    ],
}
RMA_COUNTS = {"train": 150, "test": 75}
RMA_PRODUCT_WEIGHTS = {"x200": 5, "ws40": 4, "aq7": 4, "sm3": 3, "g5": 3, "x100": 2}


def ordinal(n: int) -> str:
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


DATE_STYLES = {
    "dmy": lambda d: f"{d.day} {d:%B} {d.year}",
    "dmy_ord": lambda d: f"{ordinal(d.day)} {d:%B} {d.year}",
    "mdy": lambda d: f"{d:%B} {d.day}, {d.year}",
    "mdy_ord": lambda d: f"{d:%B} {ordinal(d.day)}, {d.year}",
    "iso": lambda d: d.isoformat(),
    "dmy_abbr": lambda d: f"{d.day} {d:%b} {d.year}",
    "the_of": lambda d: f"the {ordinal(d.day)} of {d:%B} {d.year}",
    "weekday": lambda d: f"{d:%A} {d.day} {d:%B} {d.year}",
    "ymd_slash": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "dd_mon_yyyy": lambda d: f"{d.day:02d}-{d:%b}-{d.year}",
    "mon_d_yyyy": lambda d: f"{d:%b} {d.day} {d.year}",
    "weekday_mdy": lambda d: f"{d:%A}, {d:%B} {d.day}, {d.year}",
}


def written_serial(rng: random.Random, serial: str) -> str:
    """A serial number as a customer might type it."""
    style = rng.choice(["canonical", "canonical", "lower", "spaces", "compact", "lower_spaces", "mixed"])
    if style == "lower":
        return serial.lower()
    if style == "spaces":
        return serial.replace("-", " ")
    if style == "compact":
        return serial.replace("-", "")
    if style == "lower_spaces":
        return serial.lower().replace("-", " ")
    if style == "mixed":
        head, _, tail = serial.partition("-")
        return f"{head.lower()} {tail}"
    return serial


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def build_rma() -> dict[str, list[dict]]:
    rng = random.Random(SEED + 1)
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    seen: set[str] = set()
    products = list(RMA_PRODUCT_WEIGHTS)
    weights = [RMA_PRODUCT_WEIGHTS[p] for p in products]
    for split in ("train", "test"):
        n = 0
        while len(splits[split]) < RMA_COUNTS[split]:
            fault = RMA_FAULTS[n % len(RMA_FAULTS)]
            n += 1
            options = [(p, text) for f, ps, s, text in SYMPTOMS if f == fault and s == split for p in ps]
            candidates = [p for p in products if any(p == q for q, _ in options)]
            product = rng.choices(candidates, [weights[products.index(p)] for p in candidates])[0]
            text = rng.choice([t for q, t in options if q == product])
            if product == "x100":
                bought = random_date(rng, dt.date(2019, 3, 1), dt.date(2024, 3, 31))
            else:
                bought = random_date(rng, dt.date(2021, 6, 1), dt.date(2024, 5, 31))
            serial = serial_for(rng, product, bought)
            first, last = person(rng)
            alias = rng.choice(PRODUCT_ALIASES[product])
            site = rng.choice(SITES)
            dev = rng.choice([f"our {alias}", f"the {alias} at {site}", f"our {alias} at {site}", f"the {alias}"])
            later = bought + dt.timedelta(days=rng.randint(20, 400))
            values = {
                "alias": alias, "site": site, "org": rng.choice(ORGS), "sn": written_serial(rng, serial),
                "d": DATE_STYLES[rng.choice(list(DATE_STYLES))](bought),
                "d_near": DATE_STYLES["dmy_abbr"](bought - dt.timedelta(days=rng.randint(1, 4))),
                "month_near": f"{bought:%B} {bought.year}" if bought.day > 3 else f"the end of "
                              f"{(bought - dt.timedelta(days=5)):%B}",
                "d2": DATE_STYLES[rng.choice(["dmy", "mdy", "the_of", "dmy_abbr"])](min(later, dt.date(2024, 6, 20))),
                "first": first, "name": f"{first} {last}",
            }
            frame = rng.choice(RMA_FRAMES[split])
            head, body = [], []
            for part in frame:
                optional = part.endswith("?")
                part = part.rstrip("?")
                if optional and rng.random() < 0.5:
                    continue
                if part == "subject":
                    head.append(rng.choice(RMA_PARTS["subject"][split]).format(**values))
                elif part == "greeting":
                    head.append(rng.choice(RMA_GREETINGS))
                elif part == "problem":
                    body.append(cap(text.replace("{Dev}", cap(dev)).replace("{dev}", dev)))
                elif part == "signoff":
                    body.append("\n" + rng.choice(RMA_SIGNOFFS).format(**values))
                else:
                    body.append(rng.choice(RMA_PARTS[part][split]).format(**values))
            if values["d2"] == values["d"]:
                continue
            email = "\n\n".join(head) + "\n\n" + " ".join(b for b in body if not b.startswith("\n"))
            email += "\n" + "".join(b for b in body if b.startswith("\n"))
            if norm(email) in seen:
                continue
            seen.add(norm(email))
            expected = {"product": RMA_PRODUCTS[product], "serial": serial, "fault": fault,
                        "purchase_date": bought.isoformat()}
            splits[split].append({"input": email.strip(), "expected": expected})
    for split, rows in splits.items():
        rng.shuffle(rows)
        splits[split] = [{"id": f"rma-{split}-{n:03d}", **row} for n, row in enumerate(rows, 1)]
    return splits


def rma_schema() -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Aldermoor return request",
        "description": "The device a customer wants to return, as extracted from their e-mail.",
        "type": "object",
        "required": ["product", "serial", "fault", "purchase_date"],
        "additionalProperties": False,
        "properties": {
            "product": {"description": "The product's catalogue name.", "enum": list(RMA_PRODUCTS.values())},
            "serial": {
                "description": "The serial number in canonical form: prefix, year and week of manufacture, sequence "
                               "(X2C-2314-0817); X100 loggers: X1- and six digits.",
                "type": "string",
                "pattern": "^(?:(?:X2C|WS4|AQ7|SM3|LG5)-[0-9]{4}-[0-9]{4}|X1-[0-9]{6})$",
            },
            "fault": {"description": "The fault category the described symptoms belong to.", "enum": RMA_FAULTS},
            "purchase_date": {
                "description": "The date the product was bought, YYYY-MM-DD.",
                "type": "string",
                "pattern": "^20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$",
            },
        },
        "allOf": [
            {"if": {"properties": {"product": {"const": RMA_PRODUCTS[key]}}, "required": ["product"]},
             "then": {"properties": {"serial": {"pattern": pattern}}}}
            for key, pattern in SERIAL_PATTERN.items()
        ],
    }


# ================================================================ reply_style

# House style (support desk): "Hello <first name>," first; the ticket number ("Ticket AL-12345") in the text; at
# most 70 words; "— Aldermoor Support" last; never the word "refund", even when the customer asks for one (offer
# the return/RMA process, the warranty or an escalation instead). The answer must agree with the documents.
REPLY_SIGNATURE = "— Aldermoor Support"
REPLY_MAX_WORDS = 70

# Scenarios: (customer messages, reply body with {t} for "Ticket AL-nnnnn"). A scenario is used in one split only.
REPLY_TRAIN: list[tuple[list[str], str]] = [
    (["Our X200 at the reservoir hasn't uploaded anything to Skyline since Sunday. Have we lost the data?",
      "Two of our X200 loggers stopped sending data on Friday. What should we check first?"],
     "Sorry about the gap, and thanks for Ticket {t}. The usual causes are a flat battery, an expired SIM or a moved "
     "antenna, so check the last-seen time and battery level in Skyline, then run the Field app's signal test on "
     "site. Loggers keep recording to memory meanwhile, so nothing is lost unless the memory fills."),
    (["Can I put our own SIM card in an X200, or do we have to buy yours?",
      "We have a corporate IoT SIM contract. Will those SIMs work in the X200's modem?"],
     "Thanks for Ticket {t}. Yes: the XM-2 modem takes any nano-SIM that supports LTE-M or NB-IoT; just enter your "
     "provider's APN in the Field app. If you'd rather not manage SIMs, the Aldermoor Connect SIM roams in 46 "
     "countries and is managed from Skyline."),
    (["How do I put an X200 back to factory settings? We're moving it to a new site.",
      "Will a factory reset on our X200 wipe the calibration? I need to clear the old configuration."],
     "Thanks for Ticket {t}. In the Field app, connect to the logger and choose Maintenance > Factory reset, then "
     "type the last four digits of its serial number to confirm. The reset erases the configuration and all stored "
     "readings but keeps the calibration, so download any data you need first."),
    (["Can we use cheaper D-cell packs from another supplier in our X200s?",
      "Our local shop sells lithium packs that look just like the BP-3D. Any reason not to use them?"],
     "Thanks for asking before swapping, and for Ticket {t}. Please use only the original BP-3D pack. Other packs "
     "can have a different discharge curve, which makes the battery level in Skyline wrong, and they may not sit "
     "securely in the battery clips."),
    (["I'm the Owner of our workspace and my phone with the authenticator was stolen. How do I sign in?",
      "Our only Skyline Owner has lost her second-factor device. Who can reset it?"],
     "Thanks for Ticket {t}. When an Owner loses their own second factor, the support desk resets it once the Owner "
     "has proved their identity. Please reply from the Owner's registered email address and we'll arrange the "
     "identity check."),
    (["How many alarm SMS do we get on Skyline Team? We had a lot of alarms in March.",
      "Do unused alarm texts roll over to next month on our Team plan?"],
     "Thanks for Ticket {t}. Skyline Team includes 500 alarm SMS messages per month per workspace, and unused "
     "messages don't carry over to the next month. Enterprise includes 2,000 a month, if you regularly need more."),
    (["I ordered three X200s yesterday morning. How will I know when they've shipped?",
      "Where can I find the tracking number for my order?"],
     "Thanks for Ticket {t}. When an order leaves the warehouse, we send a dispatch email with the tracking number. "
     "Orders placed before 14:00 UK time on a working day normally leave the same day if everything is in stock."),
    (["We ordered the wrong gateway variant and haven't opened it. Can we get a refund?",
      "I'd like a refund for an SM3 we ordered by mistake last week. It's still boxed."],
     "Thanks for Ticket {t}. Unused products can come back as a commercial return requested within 45 days of "
     "delivery, complete and in the original packaging. We'll issue an RMA number to write on the parcel; a 15% "
     "restocking fee applies unless the mix-up was our error."),
    (["We activated Skyline Team last month but we're not using it. Can we have our money refunded?",
      "Please refund the Skyline subscription we started in January; our project was cancelled."],
     "Thank you for explaining, and for Ticket {t}. Under our returns policy, Skyline subscriptions can't be "
     "returned once activated. I can escalate your case to the duty support manager, who will contact you within "
     "1 business day to discuss the options."),
    (["You sent us a WS40-HEAD instead of the complete WS40-STD we ordered. Refund or swap, please.",
      "The box contained an SM3-4, not the SM3-6 on our order. What now?"],
     "Apologies for our mistake, and thanks for Ticket {t}. We'll issue an RMA number for the wrong item and send "
     "the correct product; as the error was ours, no restocking fee applies. Please keep the original packaging so "
     "the parcel travels back safely."),
    (["Our WS-40 arrived today with a cracked enclosure. The pallet wrap was torn.",
      "The parcel with our G5 was crushed on delivery yesterday and the gateway's housing is dented."],
     "I'm sorry it arrived damaged. For Ticket {t}, please send photographs of the packaging and the product, as "
     "damage in transit must be reported within 3 business days of delivery. We'll then arrange collection and a "
     "replacement at no cost to you."),
    (["Our RMA number is from six weeks ago and we never got the probe in the post. Is it still valid?",
      "We've finally packed the X200 for return, but the RMA was issued in February. Can we still use it?"],
     "Thanks for Ticket {t}. An RMA number is valid for 30 days from the day it is issued, so that one has expired. "
     "Reply here and we'll issue a new one; please write it clearly on the outside of the parcel and on the packing "
     "slip."),
    (["Can I just post the faulty logger to Kellbeck with a note inside?",
      "Do we really need an RMA number? It's only one small probe."],
     "Thanks for Ticket {t}. Every return needs an RMA number issued before shipping: parcels without one are "
     "refused at the door and sent back at the sender's cost. We'll first try a remote diagnosis, then issue a "
     "number if the unit needs to come in."),
    (["Our AQ7 was in a sewage outfall. Anything special before we ship it back?",
      "Do you need us to clean the probe before returning it? It's been in wastewater."],
     "Thanks for checking, and for Ticket {t}. Please clean the probe and complete and sign the decontamination "
     "declaration. Probes that arrive without a signed declaration are quarantined for 5 business days before "
     "they are opened, which would delay things."),
    (["Should we leave the battery pack in the X200 we're returning?",
      "Can we put the spare lithium packs in the same box as the returned loggers?"],
     "Thanks for Ticket {t}. Please remove batteries from loggers and probes before shipping. Lithium batteries must "
     "never be shipped loose: send them separately under the dangerous goods rules, or dispose of them locally."),
    (["We received an exchange sensor head for our WS-40. How long do we have to send the old one back?",
      "What happens if we keep the exchange AQ7 body a bit longer before returning our original?"],
     "Thanks for Ticket {t}. The original unit must come back within 28 days of your receiving the exchange unit. "
     "After that, the full list price of the exchange unit is invoiced, so please ship the original as soon as you "
     "can."),
    (["You've quoted for repairing our old G5. We need budget approval; how long can we take?",
      "What happens if we don't accept the repair quote for our X200?"],
     "Thanks for Ticket {t}. You have 21 days to accept an out-of-warranty repair quote. After that the product is "
     "returned unrepaired and the inspection fee is charged, so let us know if approval might take longer."),
    (["Who pays postage to send a faulty X200 back under warranty? We bought it five months ago.",
      "Our SM3 failed after six weeks. Do you provide a shipping label?"],
     "Thanks for Ticket {t}. For the first 90 days after delivery we provide a prepaid shipping label; after that, "
     "the customer pays for sending the faulty product to us. We always pay to ship the repaired or replacement "
     "product back to you."),
    (["You charged us a no-fault-found fee, but this is the first unit we've sent back this year.",
      "Why were we billed after you found nothing wrong with our probe?"],
     "Thanks for Ticket {t}. When no fault is found, we return the product and make a handling charge, but the "
     "charge is waived for the first no-fault-found return per customer per calendar year. I'll check your account "
     "and correct the invoice if that applies."),
    (["We bought a used WS-40 from a neighbouring farm. Is there any warranty left?",
      "Can the warranty on our X200s move to the council that is taking over our sites?"],
     "Thanks for Ticket {t}. Second-hand products keep the remaining original warranty, and it can be transferred "
     "to a new owner once. Register the transfer in Skyline or through the support desk, quoting the serial "
     "numbers."),
    (["Lightning struck our mast and the WS-40 is dead. Is that covered by the warranty?",
      "After a thunderstorm our X200 won't start. It's under warranty, right?"],
     "Sorry to hear about the storm. About Ticket {t}: lightning damage isn't covered by the warranty, but we can "
     "assess the unit as an out-of-warranty repair and quote before any work starts. Please send the serial number "
     "so an engineer can issue an RMA number."),
    (["Our technician opened the X200 case to look at the board. Does that affect the warranty?",
      "We replaced a fuse inside the G5 ourselves. Is it still under warranty?"],
     "Thanks for being upfront, and for Ticket {t}. Products opened by anyone other than Aldermoor or a Certified "
     "Service Partner lose warranty cover, apart from the battery compartment and sensor ports. If the unit "
     "misbehaves, we can quote for an out-of-warranty repair."),
    (["Our AQ7 conductivity has drifted 3% over the year. Is that a warranty fault?",
      "The readings from our probe slowly creep upwards. Shouldn't the warranty cover that?"],
     "Thanks for Ticket {t}. Normal sensor drift is corrected by calibration and isn't treated as a defect. Please "
     "recalibrate following the calibration procedure, or send the probe to our Kellbeck laboratory. If it won't "
     "hold calibration, we'll look at it as a possible fault."),
    (["The BP-3D pack that came with our new X200 is already dead after four months. Covered?",
      "Our new logger's original battery died after a few months. Is that a warranty case?"],
     "Sorry about that, and thanks for Ticket {t}. Primary batteries supplied with a product are guaranteed free "
     "from defects for 6 months from delivery, so a pack failing within that time is covered. Please send the serial "
     "number and a diagnostic file from the Field app."),
    (["Our Premier contract mentions advance replacement. How does it work for the AQ7 that failed this morning?",
      "We're Premier customers and our G5 just died at a flood-warning site. Can you send a new one before we "
      "return it?"],
     "Thanks for Ticket {t}. Yes: with Premier support we ship a replacement unit before the faulty one comes back, "
     "so you're not left without cover. Please confirm the serial number and delivery address, and your named "
     "engineer will arrange it."),
    (["Is advance replacement included in our Priority support?",
      "We pay for Priority support. Can you send a new X200 before we post the broken one?"],
     "Thanks for Ticket {t}. Advance replacement is part of Premier support only; Priority gives longer hours and "
     "phone access but not advance replacement. We'll handle your unit as a normal warranty return, aiming to repair "
     "or replace it within 10 business days of arrival."),
    (["What's your phone number? I'd rather call than write.",
      "Why can't I ring support? There's no number in our welcome pack."],
     "Thanks for Ticket {t}. Phone support, on +44 17687 40400, is part of the Priority and Premier plans. On "
     "Standard support the fastest route is a Help Centre ticket, which asks for the serial number and diagnostic "
     "file so the right engineer picks it up."),
    (["This case has dragged on for three weeks. I want it escalated.",
      "I'm not happy with the progress on our gateway problem. Who can I talk to?"],
     "I'm sorry progress has been slow. I've escalated Ticket {t} to the duty support manager, who will contact you "
     "within 1 business day. If the issue is still not resolved after that, the case goes to our Head of Customer "
     "Service."),
    (["Is the support desk open between Christmas and New Year?",
      "Our network is critical. Who do we contact on 27 December if a station fails?"],
     "Thanks for Ticket {t}. The support desk is closed from 24 December to 1 January and on UK public holidays. "
     "Premier P1 support continues during those periods; other cases are picked up when the desk reopens."),
    (["How much does Priority support cost?",
      "We're thinking of upgrading to Priority support. How is it priced?"],
     "Thanks for Ticket {t}. Priority support costs 12% of your annual Aldermoor spend, with a minimum charge, and "
     "covers weekdays 07:00–20:00 UK time with phone access. Premier is priced individually if you need 24/7 "
     "cover."),
    (["Our script gets HTTP 429 from the Skyline API. What's the limit?",
      "Why does the API keep refusing requests during our nightly sync?"],
     "Thanks for Ticket {t}. Each Skyline API key is limited to 600 requests per minute; requests over the limit "
     "receive HTTP status 429 and should be retried later. Spreading the sync over a few minutes keeps you under "
     "the limit."),
    (["Can we share a dashboard with a school without giving them a Skyline account?",
      "Is there a way to show our river data to the public, with a password?"],
     "Thanks for Ticket {t}. Yes: any dashboard can be shared through a read-only public link. You can protect the "
     "link with a PIN and set it to expire, and people viewing it don't need a Skyline account."),
    (["If the first person on an alarm rule doesn't respond, does anyone else get told?",
      "Our on-call engineer slept through an alarm. Can Skyline notify a backup?"],
     "Thanks for Ticket {t}. Yes: give the alarm rule an escalation list. If nobody acknowledges an alarm within 20 "
     "minutes, Skyline notifies the next person on the list, so add the backup person to the rule in the right "
     "order."),
    (["Where is our Skyline data stored? Our IT department needs to know for a data protection review.",
      "Does any of our measurement data leave the EU?"],
     "Thanks for Ticket {t}. Skyline runs in two data centres in Frankfurt, Germany, with a warm standby in Dublin, "
     "Ireland, and all customer data stays within the European Union. Data is encrypted at rest with AES-256."),
    (["If we move from Team to Basic, do we lose readings older than 13 months straight away?",
      "We plan to downgrade our Skyline plan. What happens to the older readings?"],
     "Thanks for Ticket {t}. When you move to a plan with a shorter retention period, readings outside the new "
     "period are kept for a 90-day grace period before deletion. That gives you time to export them as CSV or Excel "
     "files."),
    (["Skyline keeps logging me out on the control-room screen. How long do sessions last?",
      "Why do I have to sign in to Skyline again every morning?"],
     "Thanks for Ticket {t}. For security, Skyline sessions expire after 12 hours of inactivity. For a control-room "
     "display, a read-only public dashboard link with a PIN avoids the repeated sign-ins."),
    (["Can we sign in to Skyline with our Microsoft accounts?",
      "Does Skyline Team support SAML single sign-on?"],
     "Thanks for Ticket {t}. Single sign-on with SAML 2.0 is included only in the Skyline Enterprise plan. On the "
     "other plans, users sign in with email, password and a second factor. Your account manager can explain what "
     "moving to Enterprise involves."),
    (["Our charts are in UTC but our staff are in Denver. Can we change that?",
      "Can one dashboard show local time while the others stay in UTC?"],
     "Thanks for Ticket {t}. All data is stored in UTC, and each user can choose a display time zone in their "
     "profile. Each dashboard can also override it, so one dashboard can show local time while the rest stay in "
     "UTC."),
    (["The X200 refuses to start a firmware update. What's wrong?",
      "Why won't Skyline push the new firmware to our logger at the bog site? The update never begins."],
     "Thanks for Ticket {t}. An X200 won't start a firmware update when its battery is below 40 percent, because "
     "running out of power mid-update could leave it unable to start. Connect external power or fit a fresh BP-3D "
     "pack, then try again."),
    (["A firmware update scheduled from Skyline has shown as pending for a week.",
      "Why did Skyline mark our firmware update as failed?"],
     "Thanks for Ticket {t}. An update that hasn't completed within 7 days is cancelled automatically and shown as "
     "failed. Before rescheduling, check that the device has uploaded successfully within the last 48 hours, so its "
     "connection is known to work."),
    (["Why does a firmware update over LoRaWAN take days?",
      "Our LoRaWAN loggers still haven't finished the update we scheduled yesterday. Is that normal?"],
     "Thanks for Ticket {t}. Yes, that's expected: over LoRaWAN the firmware download is much slower and can take "
     "up to 3 days. It runs in the background without interrupting logging, so no action is needed."),
    (["Our daily rain total is sometimes 0.2 mm lower than the raw data. Bug?",
      "Why doesn't the daily summary match the sum of the rain tips?"],
     "Thanks for Ticket {t}. This is a known issue in firmware 4.3.1: the daily summary can be one tip short when a "
     "tip happens within a second of midnight UTC. The raw data is correct, and a fix is planned for the next "
     "feature release."),
    (["We're on firmware 4.1.2. How long will it get fixes?",
      "Do we need to update the loggers that are still on 4.1.x?"],
     "Thanks for Ticket {t}. Version 4.1.x reaches end of support on 15 November 2024, so please plan to update. "
     "The current recommended version is 4.3.1, which you can schedule from Skyline for many loggers at once."),
    (["How do I go back to the previous GatewayOS version on our G5?",
      "The latest gateway firmware has upset our setup. Can we revert?"],
     "Thanks for Ticket {t}. Yes: open the gateway's local web page and choose System > Firmware > Restore previous. "
     "The G5 keeps two firmware banks, so the earlier version is still there."),
    (["The G5's local web page says it's locked. We mistyped the password a few times.",
      "Why can't I sign in to our gateway's web page for a while after a wrong password?"],
     "Thanks for Ticket {t}. Since GatewayOS 3.3.2, the local web page locks for 15 minutes after 5 failed sign-in "
     "attempts. Please wait for the lock to expire, then sign in with the password you set at first sign-in."),
    (["Our old G5 is still on GatewayOS 2.8. Can it go straight to 3.4?",
      "Skyline installed two updates in a row on our older gateway. Why?"],
     "Thanks for Ticket {t}. Gateways on GatewayOS 2.x must first update to 3.0.4 before any later version can be "
     "installed. Skyline does this automatically in two steps, so a double update on an older gateway is expected."),
    (["Our IT team wants SSH access to the G5. How do we turn it on?",
      "Why is SSH closed on our gateway now?"],
     "Thanks for Ticket {t}. Since GatewayOS 3.3.0, SSH is disabled by default. A workspace Administrator can enable "
     "it from Skyline for the gateway concerned."),
    (["How long will you keep supporting our X100 loggers?",
      "Can you still repair an X100 next year?"],
     "Thanks for Ticket {t}. X100 units are repaired under the normal repair service until 31 December 2025; after "
     "that, faulty units can only be replaced. The support desk will answer X100 questions until 30 June 2026."),
    (["Will our sensor cables fit an X200 without re-terminating them?",
      "Can we import our Logger Studio configurations into the new X200s?"],
     "Thanks for Ticket {t}. The WA-12 wiring adapter moves existing X100 sensor cables to an X200 without "
     "re-termination. Logger Studio configurations can be imported into the Field app, which converts channel "
     "settings; scaling equations with more than 6 terms must be re-entered by hand."),
    (["Our WS-40 humidity seems to read high lately. The station is three years old.",
      "How often should the humidity sensor in the Corvid head be changed?"],
     "Thanks for Ticket {t}. The humidity sensor element should be replaced every 24 months, because it slowly "
     "drifts, especially in polluted air. Our exchange service can send a freshly calibrated sensor head before you "
     "return the old one."),
    (["Which way should the WS-40 solar panel face? We're in Scotland.",
      "What tilt angle should we use for the weather station's solar panel?"],
     "Thanks for Ticket {t}. In the northern hemisphere, face the panel due south and set the tilt to the site "
     "latitude plus 15 degrees. That favours winter charging, when the sun is lowest."),
    (["Which buffers do we use to calibrate the AQ7 pH sensor?",
      "When should we give up on an AQ7 pH sensor that won't calibrate well?"],
     "Thanks for Ticket {t}. Calibrate pH with three buffers, pH 4.01, 7.00 and 10.01, always starting with pH 7.00. "
     "If the sensor's slope falls below 92% of the theoretical value, the sensor should be replaced."),
    (["If we send our AQ7 to Kellbeck for calibration, how long will it be away?",
      "What's the turnaround for a laboratory calibration of a Riffle probe?"],
     "Thanks for Ticket {t}. Probes returned for calibration are turned around within 7 business days of arriving "
     "at the Kellbeck laboratory. The certificate is valid for 12 months and is uploaded to your Skyline workspace."),
    (["How often will we need to clean an AQ7 in a muddy river?",
      "Can the AQ7 wiper run more than once per reading?"],
     "Thanks for Ticket {t}. The wiper runs once before each measurement by default and can be set to run up to "
     "four times in very turbid water. In typical rivers it stretches the time between cleaning visits to around 8 "
     "weeks."),
    (["Mice chewed through our SM3 cable. Is that covered by the warranty?",
      "A plough cut the cable on our soil moisture probe. Are we covered?"],
     "Sorry to hear that, and thanks for Ticket {t}. The SM3 cable is covered against manufacturing defects, but not "
     "against damage by animals, cultivation machinery or rodents. We can quote for a replacement once we have the "
     "serial number."),
    (["Our X200 readings are noisy on long cable runs. Any tips?",
      "We see spikes on our analogue channels whenever the pump next to the logger starts."],
     "Thanks for Ticket {t}. Noise usually comes from long unscreened cables or ground loops. Use screened cable "
     "with the screen connected at the logger end only, and keep sensor cables at least 300 mm away from mains "
     "cables."),
    (["Our X200 had a few failed uploads and hasn't tried again for hours. Is it stuck?",
      "Can I force an X200 to upload right now?"],
     "Thanks for Ticket {t}. After 5 failed upload attempts in a row, the logger waits 6 hours before trying again, "
     "to protect the battery. Press the service button twice to start an immediate upload attempt."),
    (["The signal test shows -118 dBm and uploads fail about half the time.",
      "Is -117 dBm good enough for the X200's modem?"],
     "Thanks for Ticket {t}. The XM-2 modem needs an RSRP better than -115 dBm for reliable uploads; between -115 "
     "and -120 dBm uploads will often fail. The high-gain antenna kit AK-9 is the usual answer for a site like "
     "yours."),
    (["Do you run training on installing weather stations?",
      "Can two of our rangers attend a hands-on course?"],
     "Thanks for Ticket {t}. The Aldermoor Academy runs a two-day hands-on course on installing and maintaining "
     "monitoring stations, held at Kellbeck and in Aarhus, with at most 8 participants per course. There are also "
     "free Skyline webinars."),
    (["Will we have to pay import VAT on delivery in France?",
      "Are duties charged when your parcels arrive in Germany?"],
     "Thanks for Ticket {t}. We ship to the European Union on Delivered Duty Paid terms, so you won't pay import VAT "
     "or duties on delivery."),
    (["We're in Norway. Who pays the customs charges on our order?",
      "The courier in Switzerland wants duty before handing over our parcel. Is that right?"],
     "Thanks for Ticket {t}. Outside the UK and the EU, shipments are sent Delivered At Place, so import duties, "
     "taxes and customs clearance fees are paid by the customer. The commercial invoice shows each product's HS code "
     "for your broker."),
    (["How will our complete WS-40 be delivered? Our site is down a farm track.",
      "Do we need a forklift for the weather station delivery?"],
     "Thanks for Ticket {t}. Complete WS-40 stations travel on a pallet, which needs a forklift or a tail-lift "
     "vehicle and an address a 7.5-tonne lorry can reach. For a field site, give us a named contact who can meet "
     "the driver."),
    (["Can we cancel the order we placed this morning?",
      "We need to cancel our order for the custom-length AQ7 cables. Is that possible?"],
     "Thanks for Ticket {t}. Orders can be changed or cancelled free of charge until they are dispatched. Built-to-"
     "order products, such as custom cable assemblies, can't be cancelled once production has started; I'll check "
     "the status of yours now."),
    (["I'd like a copy of the personal data you hold about me.",
      "Please delete my details from your systems."],
     "Thanks for Ticket {t}. We'll pass your request to our Data Protection Officer; we respond to such requests "
     "within 21 days and may ask you to prove your identity first. You can also write directly to "
     "privacy@aldermoor.example."),
    (["Would we be told if our Skyline workspace data was breached?",
      "How quickly do you notify customers about a security breach?"],
     "Thanks for Ticket {t}. If a breach of your workspace data is confirmed, we tell you within 48 hours of "
     "confirmation, by email to the workspace Owners and with a notice on the status page."),
    (["How long do you keep our old support tickets and diagnostic files?",
      "Will you ever delete the diagnostic files we attached to tickets?"],
     "Thanks for Ticket {t}. Under our data retention policy, support tickets and their attachments, including "
     "diagnostic files, are kept for 4 years after the ticket is closed and then deleted."),
    (["We have 300 new devices. Do we really have to claim them one by one?",
      "Can we add lots of devices to Skyline from a spreadsheet?"],
     "Thanks for Ticket {t}. Since the Grisedale release you can add up to 500 devices at once by uploading a CSV "
     "file with their serial numbers and claim codes."),
    (["Some readings disappeared from our charts after the March release.",
      "Why are some values missing from our export?"],
     "Thanks for Ticket {t}. Readings flagged as suspect or invalid, by hand or by rules such as spike detection, are "
     "hidden from charts by default and left out of exports unless you choose otherwise. Check the data quality "
     "flags on those channels."),
    (["Our script broke because the API now returns ISO timestamps.",
      "Can we still get Unix timestamps from the Skyline API?"],
     "Thanks for Ticket {t}. The API now returns ISO 8601 timestamps with an explicit UTC offset. Adding the "
     "parameter ts=unix restores the old Unix-seconds format until 31 December 2024, which gives you time to update "
     "the script."),
    (["How do I add a new X200 to our workspace?",
      "We've got a new weather station. How does it get into Skyline?"],
     "Thanks for Ticket {t}. Scan the QR code on the device label with the Aldermoor Field app, or enter its claim "
     "code in Skyline. The device then appears in your workspace."),
    (["We've reached 75 devices on Skyline Team. Can we add a few more?",
      "How do we go over the Basic plan's device limit?"],
     "Thanks for Ticket {t}. On the Basic and Team plans, extra devices can be added in blocks of 10. Your account "
     "manager can add a block, or suggest a plan change if you expect many more devices."),
    (["We'd like to order five more X100 loggers to match our existing network.",
      "Can we still buy new X100s?"],
     "Thanks for Ticket {t}. The last date to order new X100 loggers was 31 March 2024, so they're no longer "
     "available. The X200 replaces it and accepts the same sensors, and the WA-12 adapter moves existing cables "
     "across."),
    (["We want to return an unused G5 we bought three months ago and get a refund.",
      "Can I send back an X200 delivered in February that we never installed? I'd like my money back."],
     "Thanks for Ticket {t}. Commercial returns have to be requested within 45 days of delivery, so we can't accept "
     "this unit as a commercial return. If it ever develops a fault, the warranty applies as usual, and your "
     "account manager can discuss other options."),
    (["Our returned X200 was inspected last week. When will the refund reach our card?",
      "How long until we get the money for the probe we sent back?"],
     "Thanks for Ticket {t}. Once a returned product passes inspection, payment goes back to the original payment "
     "method within 14 days. If nothing has arrived by then, reply here with your RMA number and we'll chase it."),
    (["Can the X200 log faster while it's raining?",
      "Is there a way to log every minute only during storm events?"],
     "Thanks for Ticket {t}. Yes: since firmware 4.3.0, a channel can be logged at a faster interval while a "
     "condition is true, for example every minute while rain is falling and every 15 minutes otherwise."),
    (["How far from trees should our WS-40 be?",
      "Can we put the weather station right next to our barn?"],
     "Thanks for Ticket {t}. The station should be at least 10 times the height of any nearby obstacle away from it, "
     "so a 6 m tree needs 60 m. Choose level, open ground with short grass rather than tarmac or concrete."),
    (["Can one technician install a WS-40 on their own?",
      "How many people do we need to put up the Corvid station?"],
     "Thanks for Ticket {t}. An installation needs two people: never install a WS-40 alone, and follow the field "
     "safety handbook for lone working, weather limits and work at height. Our Fieldcraft engineers can also do the "
     "installation for you."),
    (["How many sensors can one G5 gateway handle?",
      "Will one gateway be enough for 250 loggers on our estate?"],
     "Thanks for Ticket {t}. A single Larchmont G5 can serve up to 400 end devices. In open rural terrain with line "
     "of sight its typical range is 12 km; in towns, expect 1 to 3 km."),
]

REPLY_TEST: list[tuple[list[str], str]] = [
    (["Our AQ7 has failed after two months. I want a full refund, not a repair.",
      "This X200 has been faulty since day one. Please refund us."],
     "I'm sorry it has let you down, and thanks for Ticket {t}. Faulty products are handled under the warranty: an "
     "engineer first tries a remote diagnosis, then issues an RMA number so we can repair or replace the unit. Please "
     "send the serial number and, if possible, a diagnostic file."),
    (["We no longer need the ten pre-programmed X200s we ordered. Can we send them back for our money?",
      "Can loggers configured to our specification be returned if the project is cancelled? We'd want a refund."],
     "Thanks for Ticket {t}. Products built or configured to a customer's specification, including pre-programmed "
     "loggers, can't be taken back as commercial returns. Any unit that turns out to be faulty is of course covered "
     "by the warranty, and your account manager can discuss other options."),
    (["Our order arrived a week late. We want a refund of the delivery charge.",
      "The express delivery we paid for took three days. I expect my money back for the express charge."],
     "I'm sorry your order was late, and thanks for Ticket {t}. I've passed your case to the duty support manager, "
     "who will contact you within 1 business day to look at the delivery charge with you."),
    (["We opened a pH buffer kit but don't need it after all. Refund please.",
      "Can we return the opened calibration solutions we didn't use?"],
     "Thanks for Ticket {t}. Under our returns policy, opened calibration solutions and reagents can't be returned "
     "for commercial reasons. Unopened items can come back within 45 days of delivery as a commercial return, with "
     "an RMA number."),
    (["Why did you keep 15% when we returned the unused logger? I want the full refund.",
      "I was expecting all my money back for the returned probe, not 85% of it."],
     "Thanks for Ticket {t}. A 15% restocking fee applies to commercial returns of products that work correctly; it "
     "is waived only when the return is caused by our error, such as a wrong product shipped. If you think that "
     "applies, reply and I'll escalate to the duty support manager."),
    (["I forgot my Skyline password and the reset email seems to have expired already. Help!",
      "How long is the Skyline password reset link valid? Mine didn't work this morning."],
     "Sorry for the trouble. About Ticket {t}: click \"Forgot password\" on the sign-in page again and use the new "
     "link promptly, as it is valid for 45 minutes. If your second factor is lost too, a workspace Owner can reset "
     "it for you."),
    (["We're in Germany. Do we have to send our faulty probe all the way to the UK?",
      "Is there an EU address for returns? Shipping to Cumbria from the Netherlands is slow."],
     "Thanks for Ticket {t}. Customers in the European Union can send returns to our consolidation point in Aarhus, "
     "Denmark, which forwards them to the Kellbeck service centre weekly. The parcel still needs an RMA number "
     "before it ships."),
    (["Can we still buy CarePlus for the AQ7 that was delivered five weeks ago?",
      "What does CarePlus add to the standard warranty?"],
     "Thanks for Ticket {t}. CarePlus extends the standard warranty by 24 months and includes one free calibration "
     "check a year at Kellbeck. It must be bought within 75 days of delivery and can't be added to a product that "
     "has already had a warranty repair."),
    (["How long will our X200 be away for repair? We need it back for the field season.",
      "Our WS-40 arrived at your service centre yesterday. When can we expect it back?"],
     "Thanks for Ticket {t}. We aim to repair or replace warranty returns within 10 business days of receiving them "
     "at Kellbeck, and we pay for shipping the unit back to you. I've noted your deadline on the case."),
    (["What hours is your support desk open for customers without a support contract?",
      "Can I reach someone on a Saturday? We only have standard support."],
     "Thanks for Ticket {t}. Standard support runs Monday to Friday, 08:30–17:30 UK time, through Help Centre "
     "tickets and email. Weekend cover isn't included; Premier support offers 24/7 cover for P1 cases."),
    (["Can I plot 20 stations on one Skyline chart?",
      "The chart widget stops letting me add series. Is there a limit?"],
     "Thanks for Ticket {t}. A Skyline chart can show up to 12 series at once. For more stations, split them across "
     "two charts on the same dashboard; a dashboard can hold any number of widgets."),
    (["When does Skyline have planned maintenance? We had a short outage early one Tuesday.",
      "How much notice do you give before Skyline maintenance?"],
     "Thanks for Ticket {t}. Planned maintenance takes place on the first Tuesday of each month between 06:00 and "
     "07:00 UK time. We announce it on the status page at least 5 days in advance."),
    (["If we don't renew Skyline, what happens to our data?",
      "Our subscription lapsed last week. Is our data gone?"],
     "Thanks for Ticket {t}. When a subscription ends, the workspace becomes read-only, and its data is permanently "
     "deleted 60 days after it closes. Renewing within those 60 days reopens the workspace, and you can export data "
     "until it is deleted."),
    (["After updating, our X200 flashes red very fast. How do we go back to the old firmware?",
      "How do I do a manual rollback on an X200?"],
     "Thanks for Ticket {t}. Hold the service button for 12 seconds while the logger is starting, until the status "
     "LED flashes blue; it then returns to the previous firmware. If it still won't start, reply with the serial "
     "number and both firmware versions."),
    (["Our SDI-12 sensors stop responding after about seven weeks. Is this a known issue?",
      "Every 50 days or so the SDI-12 bus on our X200 goes silent until we restart it."],
     "Thanks for Ticket {t}. That matches a known timer overflow that stopped the SDI-12 bus after 49.7 days of "
     "continuous operation. It is fixed in X200 firmware 4.3.1, which we recommend for everyone using SDI-12 "
     "sensors."),
    (["What happens to our G5 if the site broadband drops?",
      "Will we lose data if the gateway's internet goes down overnight?"],
     "Thanks for Ticket {t}. If the Ethernet link fails, the G5 switches to its built-in LTE modem within 30 "
     "seconds. If the internet is lost altogether, it buffers up to 72 hours of uplink messages and forwards them "
     "once the connection returns."),
    (["Is there any discount for swapping old X100s for X200s?",
      "How do we claim the X100 trade-in offer?"],
     "Thanks for Ticket {t}. Return a working or faulty X100 and you get 25 percent off a new X200, one X200 per "
     "X100 returned. Quote promotion code X100SWAP when ordering, and send the X100 back within 60 days of the X200 "
     "order."),
    (["Will the WS-40 anemometer freeze up on a mountain site?",
      "Do we need a heated wind sensor for the winter?"],
     "Thanks for Ticket {t}. The WS-40 uses an ultrasonic anemometer with no moving parts, and a 4 W heater switches "
     "on below +2 °C, so it keeps working in icing conditions. No extra heated sensor is needed."),
    (["Does the AQ7's oxygen sensor need membrane changes?",
      "How often should the DO sensing cap on our Riffle probe be replaced?"],
     "Thanks for Ticket {t}. The AQ7's dissolved oxygen sensor is optical, so it consumes no oxygen and needs no "
     "membrane changes. Its sensing cap should be replaced every 2 years."),
    (["We just installed an SM3 and the readings look very low. Is it broken?",
      "How long after installing an SM3 can we trust the data?"],
     "Thanks for Ticket {t}. Leave the readings to settle for 48 hours before using them for decisions. Readings "
     "that stay low usually mean air gaps, so make sure the probe went into a slurry of the removed soil for good "
     "contact."),
    (["There are water droplets inside the X200 window. What should we do?",
      "The desiccant in our logger has turned green. Is that bad?"],
     "Thanks for Ticket {t}. Condensation means the desiccant is saturated or a cable gland isn't sealed; the "
     "cartridge changes from orange to green when saturated. Replace the cartridge and fit blanking plugs to any "
     "unused glands."),
    (["Can you airmail spare BP-3D packs to us in Perth, Australia?",
      "We're in Chile and need spare X200 batteries. Can you ship them?"],
     "Thanks for Ticket {t}. Spare BP-3D packs are dangerous goods and travel by road only, so we can't send them by "
     "air or deliver them outside Europe and North America ourselves. Your local distributor can supply spare "
     "packs."),
    (["Is delivery free within the UK?",
      "What's the threshold for free standard shipping in Britain?"],
     "Thanks for Ticket {t}. Standard delivery within the United Kingdom is free for orders over £750 before VAT. "
     "Below that, the delivery charge is shown at checkout and on quotations."),
    (["I think I've found a security flaw in the G5's web page. Where do I report it?",
      "Is there a way to report a vulnerability in Skyline confidentially?"],
     "Thank you for raising this, and for Ticket {t}. Please send the details to security@aldermoor.example; "
     "external vulnerability reports are acknowledged within 3 business days."),
    (["Can Skyline send alarms to our own system over HTTPS?",
      "What happens if our webhook endpoint is down when an alarm fires?"],
     "Thanks for Ticket {t}. Enterprise workspaces can send alarms to any HTTPS endpoint as JSON messages. If a "
     "delivery fails, it is retried up to 5 times with increasing delays."),
    (["All our X200 timestamps are exactly an hour out.",
      "The Field app shows times one hour off from our watches."],
     "Thanks for Ticket {t}. The logger always stores UTC, and its time zone setting only affects the Field app "
     "display, so an offset of exactly one hour usually means that setting is wrong. Correct the time zone in the "
     "logger's configuration."),
    (["How can I get all our data out of Skyline as files?",
      "Can Skyline email us a weekly export?"],
     "Thanks for Ticket {t}. Any chart can be exported as CSV or Excel files. Scheduled exports can be emailed "
     "daily, weekly or monthly, or delivered to an SFTP server."),
    (["How long is a calibration certificate from your lab valid?",
      "Where can I find the calibration certificate for our probe?"],
     "Thanks for Ticket {t}. A certificate from the Aldermoor laboratory is valid for 12 months from the calibration "
     "date. Certificates are uploaded to your Skyline workspace, which reminds you 30 days before the next "
     "calibration is due."),
    (["How high should we mount our G5?",
      "Can the gateway antenna go next to the steel water tank?"],
     "Thanks for Ticket {t}. Mount the G5 as high as practical, ideally at least 6 m above the ground, on a 40–80 mm "
     "pole. Keep the antenna vertical and at least 1 m away from metal structures, and fit the supplied surge "
     "arrestor."),
    (["Will our X100s keep appearing in Skyline?",
      "Our X100 loggers upload through a G5. Will Skyline keep taking their data?"],
     "Thanks for Ticket {t}. X100 loggers that upload through an external modem or a G5 gateway keep appearing in "
     "Skyline, which accepts their data until the end of technical support on 30 June 2026. Data already stored is "
     "not affected."),
    (["Our cellular data bill is high. Is there a way to reduce the X200's data use?",
      "Can the X200 send less data over the mobile network?"],
     "Thanks for Ticket {t}. Firmware 4.3.0 added upload compression, which cuts cellular data use by about 40% on "
     "typical configurations. Updating to 4.3.1, the current recommended version, gives you that and the latest "
     "fixes."),
]

# Families: one message pattern, many facts. A family is used in one split only.
PRIORITY_CASES = {
    "P1": ["our whole monitoring network has stopped reporting and there's no workaround",
           "our Skyline workspace is down and we can't see any data at all"],
    "P2": ["about twenty loggers stopped uploading, though we can still read them on site",
           "alarms aren't being sent, but we're watching the dashboards by hand for now"],
    "P3": ["a single logger reports a sensor fault", "we have a configuration question about one station"],
    "P4": ["we'd like a copy of the WS-40 installation procedure", "we have a feature suggestion for Skyline"],
}
RESPONSE_TARGETS = [("Standard", "P1", "4 business hours"), ("Standard", "P2", "8 business hours"),
                    ("Standard", "P3", "2 business days"), ("Standard", "P4", "5 business days"),
                    ("Priority", "P1", "1 hour"), ("Priority", "P3", "1 business day"),
                    ("Priority", "P4", "3 business days"), ("Premier", "P1", "30 minutes"),
                    ("Premier", "P2", "2 hours"), ("Premier", "P3", "8 hours")]
LED_PATTERNS = [
    ("flashes green every 5 seconds", "it is logging normally and the last upload succeeded, so nothing needs doing"),
    ("alternates between green and amber", "it is logging normally but the last upload failed; check the signal and "
                                           "the SIM"),
    ("shows solid amber", "the battery is low; replace the BP-3D pack or connect external power"),
    ("flashes red 3 times", "at least one channel has a sensor fault; check the wiring and the sensor"),
    ("flashes red 5 times", "there is a memory fault; download the data and reply to this ticket"),
    ("flashes red very fast", "the firmware cannot start; perform a manual rollback"),
    ("keeps flashing blue", "Bluetooth pairing or a firmware rollback is in progress, so just wait"),
]
DELIVERY_TIMES = [
    ("standard", "Leeds", "Standard delivery within the United Kingdom typically takes 2 working days after dispatch"),
    ("express", "Glasgow", "Express delivery within the United Kingdom arrives the next working day after dispatch, "
                            "before 12:00"),
    ("standard", "Dublin", "Standard delivery to the European Union typically takes 3–5 working days after dispatch"),
    ("express", "Rotterdam", "Express delivery to the European Union typically takes 1–2 working days after dispatch"),
    ("standard", "Cape Town", "Standard delivery to the rest of the world typically takes 5–10 working days after "
                              "dispatch"),
    ("standard", "Toronto", "Orders for the USA and Canada ship from our Boulder office and typically take 3–6 "
                            "working days after dispatch"),
]
LEAD_TIMES = [
    ("a WS-40 with a non-standard mast length", "WS-40 stations with a non-standard mast length", "4 weeks"),
    ("an AQ7 with five sensors fitted and calibrated", "AQ7 probes with more than four sensors fitted and calibrated",
     "3 weeks"),
    ("twelve X200s pre-programmed with our configuration", "X200 loggers pre-programmed with a customer "
                                                            "configuration", "5 working days"),
    ("custom-length sensor cables", "custom cable assemblies", "10 working days"),
]
WARRANTIES = [
    ("X200", "The X200 has a warranty of 38 months from delivery; batteries, desiccant cartridges and cable glands "
             "are consumables covered separately"),
    ("WS-40", "The WS-40 warranty lasts 30 months and includes the sensor head, enclosure and electronics; the mast "
              "is covered against structural failure for 10 years"),
    ("AQ7", "The AQ7 body, wiper motor and electronics carry an 18-month warranty; sensors are covered for 12 months, "
            "except the pH sensor, covered for 6 months"),
    ("SM3", "The SM3 is covered by a warranty of 20 months; its cable is covered against manufacturing defects but "
            "not against animal or machinery damage"),
    ("G5 gateway", "The Larchmont G5 comes with a 27-month warranty; the antenna and surge arrestor are covered for "
                   "12 months"),
]
PLANS = [("Basic", "up to 10 devices and 3 users, with email alarms"),
         ("Team", "up to 75 devices and 25 users, with email and SMS alarms"),
         ("Enterprise", "unlimited devices and users, with email, SMS, voice call and webhook alarms")]
RETENTION = [("Basic", "13 months"), ("Team", "5 years"), ("Enterprise", "10 years, or longer by contract")]
CAL_INTERVALS = [("pH", "recalibrated every 4 weeks"), ("conductivity", "recalibrated every 3 months"),
                 ("dissolved oxygen", "recalibrated every 3 months"),
                 ("turbidity", "checked every 6 months; it is factory calibrated only, not adjusted in the field")]


def reply_families(split: str) -> list[tuple[str, str]]:
    """(message, reply body) pairs of the families used in ``split``."""
    out: list[tuple[str, str]] = []
    if split == "train":
        asks = ["We're on {plan} support and {case}. How soon will an engineer get back to us?",
                "{Case}. What response time can we expect on our {plan} plan?"]
        for i, (plan, prio, target) in enumerate(RESPONSE_TARGETS):
            case = PRIORITY_CASES[prio][i % 2]
            out.append((asks[i % 2].format(plan=plan, case=case, Case=cap(case)),
                        f"Thanks for Ticket {{t}}. This counts as a {prio} case, and on {plan} support our "
                        f"first-response target for {prio} is {target}, within your plan's support hours. An engineer "
                        f"will reply with an initial assessment."))
        asks = ["The status LED on our X200 {pattern}. What does that mean?",
                "When I press the service button, the X200's light {pattern}. Is something wrong?"]
        for i, (pattern, meaning) in enumerate(LED_PATTERNS):
            out.append((asks[i % 2].format(pattern=pattern),
                        f"Thanks for Ticket {{t}}. When the X200's status LED {pattern}, {meaning}. The "
                        f"troubleshooting guide in the Help Centre lists every pattern."))
        asks = ["How long does {service} delivery to {place} take?",
                "If we order today, when would a {service} parcel reach us in {place}?"]
        for i, (service, place, answer) in enumerate(DELIVERY_TIMES):
            out.append((asks[i % 2].format(service=service, place=place),
                        f"Thanks for Ticket {{t}}. {answer}. Orders placed before 14:00 UK time on a "
                        f"working day normally leave the same day if everything is in stock."))
        asks = ["What's the lead time if we order {item}?", "We need {item}. How long before they ship?"]
        for i, (item, doc_item, lead) in enumerate(LEAD_TIMES):
            out.append((asks[i % 2].format(item=item),
                        f"Thanks for Ticket {{t}}. {cap(doc_item)} are built to order, with a typical lead time of "
                        f"{lead}. For more than 25 units of one product, please ask for a confirmed delivery date "
                        f"before ordering."))
    else:
        asks = ["How long is the warranty on a new {product}?",
                "What warranty comes with the {product}? We're budgeting for replacements.",
                "How long does the warranty on our {product} last, and what does it cover?"]
        for i, (product, answer) in enumerate(WARRANTIES):
            out.append((asks[i % 3].format(product=product),
                        f"Thanks for Ticket {{t}}. {answer}. CarePlus can extend the standard warranty by 24 months "
                        f"if bought within 75 days of delivery."))
        asks = ["What does Skyline {plan} include?", "How many devices and users can we have on Skyline {plan}?",
                "We're comparing plans. What are the limits of Skyline {plan}?"]
        for i, (plan, limits) in enumerate(PLANS):
            out.append((asks[i].format(plan=plan),
                        f"Thanks for Ticket {{t}}. Skyline {plan} includes {limits}, per workspace. On Basic and Team, "
                        f"extra devices can be added in blocks of 10."))
        asks = ["How long is our data kept on Skyline {plan}?", "On the {plan} plan, when are old readings deleted?",
                "We're on Skyline {plan}. How much history will we keep?"]
        for i, (plan, kept) in enumerate(RETENTION):
            out.append((asks[i].format(plan=plan),
                        f"Thanks for Ticket {{t}}. On Skyline {plan}, measurement data is kept for {kept}. Skyline "
                        f"shows a banner 30 days before the first readings reach the end of the period, and you can "
                        f"export data at any time."))
        asks = ["How often should the {sensor} sensor on our deployed AQ7 be calibrated?",
                "What's the recommended field calibration interval for AQ7 {sensor}?"]
        for i, (sensor, interval) in enumerate(CAL_INTERVALS):
            out.append((asks[i % 2].format(sensor=sensor),
                        f"Thanks for Ticket {{t}}. In the field, the AQ7 {sensor} sensor should be {interval}. The "
                        f"calibration procedure lists the standards to use, and our Kellbeck laboratory can also "
                        f"calibrate the probe."))
    return out


REPLY_OPENERS = ["Thanks for Ticket {t}.", "Thanks for Ticket {t}.", "Thank you for Ticket {t}.",
                 "Thanks for getting in touch (Ticket {t}).", "Thanks for your message on Ticket {t}."]


def build_reply() -> dict[str, list[dict]]:
    rng = random.Random(SEED + 2)
    used_tickets: set[int] = set()
    splits: dict[str, list[dict]] = {}
    for split, scenarios in (("train", REPLY_TRAIN), ("test", REPLY_TEST)):
        pairs = [(m, body) for msgs, body in scenarios for m in msgs] + reply_families(split)
        rows = []
        for message, body in pairs:
            first, last = person(rng)
            number = rng.randint(40000, 59999)
            while number in used_tickets:
                number = rng.randint(40000, 59999)
            used_tickets.add(number)
            ticket = f"AL-{number}"
            if body.startswith("Thanks for Ticket {t}. "):
                body = rng.choice(REPLY_OPENERS) + body[len("Thanks for Ticket {t}."):]
            reply = f"Hello {first},\n\n{body.format(t=ticket)}\n\n{REPLY_SIGNATURE}"
            rows.append({
                "input": f"Ticket {ticket} · Customer: {first} {last} · Message: {message}",
                "expected": reply,
                "constraints": {"must_include": [ticket], "starts_with": f"Hello {first},"},
            })
        rng.shuffle(rows)
        splits[split] = [{"id": f"reply-{split}-{n:03d}", **row} for n, row in enumerate(rows, 1)]
    return splits


# ================================================================ policy_quiz

# (source document, question, right option, three wrong options of the same kind). The right option's text occurs
# in the source document; the facts come from the Markdown, text and HTML documents only. Each fact is asked once,
# in one split.
QUIZ: list[tuple[str, str, str, list[str]]] = [
    # products/x200-data-logger.md
    ("products/x200-data-logger.md", "How many analogue inputs does an X200 offer?",
     "8 analogue input channels", ["4 analogue input channels", "10 analogue input channels",
                                   "12 analogue input channels"]),
    ("products/x200-data-logger.md", "What value is the internal shunt an X200 channel uses in 4–20 mA mode?",
     "120 ohm", ["250 ohm", "100 ohm", "47 ohm"]),
    ("products/x200-data-logger.md", "Up to what frequency can the X200's pulse inputs count?",
     "2 kHz", ["1 kHz", "5 kHz", "10 kHz"]),
    ("products/x200-data-logger.md", "What is the maximum current of the X200's switched 12 V excitation output?",
     "250 mA", ["100 mA", "500 mA", "150 mA"]),
    ("products/x200-data-logger.md", "About how many timestamped readings fit in an X200's flash memory?",
     "4.2 million", ["1.5 million", "8.4 million", "12 million"]),
    ("products/x200-data-logger.md", "What is the longest logging interval an X200 can be set to?",
     "24 hours", ["12 hours", "48 hours", "6 hours"]),
    ("products/x200-data-logger.md", "Logging every minute with hourly uploads, roughly how long does an X200 "
     "battery pack last?", "7 months", ["3 months", "12 months", "18 months"]),
    ("products/x200-data-logger.md", "Once the X200 raises its low-battery warning, about how much normal operation "
     "is left?", "6 weeks", ["2 weeks", "10 weeks", "4 weeks"]),
    ("products/x200-data-logger.md", "Which external DC supply range can feed the X200's auxiliary power terminals?",
     "9–28 V DC", ["5–12 V DC", "12–24 V DC", "6–16 V DC"]),
    ("products/x200-data-logger.md", "What rating has the optional solar kit for the X200?",
     "5 W", ["10 W", "20 W", "2 W"]),
    ("products/x200-data-logger.md", "Which protocol version encrypts X200 data on its way to Skyline?",
     "TLS 1.3", ["TLS 1.2", "TLS 1.1", "SSL 3.0"]),
    ("products/x200-data-logger.md", "What are the X200's outer dimensions (H × W × D)?",
     "182 × 96 × 54 mm", ["160 × 90 × 50 mm", "210 × 110 × 60 mm", "182 × 120 × 75 mm"]),
    ("products/x200-data-logger.md", "How many cable glands does the X200 enclosure have, and what size?",
     "4 × M16", ["2 × M20", "6 × M12", "4 × M20"]),
    ("products/x200-data-logger.md", "Which pole diameters does the PK-60 kit for the X200 fit?",
     "30–60 mm", ["40–80 mm", "20–50 mm", "50–100 mm"]),
    ("products/x200-data-logger.md", "What is the base part number of the X200?",
     "X200-8A4D", ["X200-4A8D", "X200-8A8D", "X200-6A2D"]),
    ("products/x200-data-logger.md", "Which suffix marks the LoRaWAN version of the X200?",
     "-LRW", ["-LTE", "-LOR", "-LWN"]),
    ("products/x200-data-logger.md", "Which standard for electromagnetic compatibility does the X200 meet?",
     "EN 61326-1", ["EN 61000-6-2", "EN 55032", "EN 60529"]),
    ("products/x200-data-logger.md", "What resolution is the X200's sigma-delta converter?",
     "24-bit", ["16-bit", "20-bit", "32-bit"]),
    # products/ws40-weather-station.md
    ("products/ws40-weather-station.md", "Over what range does the WS-40 measure wind speed?",
     "0–60 m/s", ["0–40 m/s", "0–75 m/s", "0–50 m/s"]),
    ("products/ws40-weather-station.md", "How powerful is the heater that keeps the WS-40 anemometer free of ice?",
     "4 W", ["6 W", "8 W", "10 W"]),
    ("products/ws40-weather-station.md", "What is the funnel area of the WS-40 rain gauge?",
     "200 cm²", ["100 cm²", "314 cm²", "400 cm²"]),
    ("products/ws40-weather-station.md", "What capacity is the sealed lead-acid battery inside a WS-40?",
     "12 Ah", ["7 Ah", "20 Ah", "24 Ah"]),
    ("products/ws40-weather-station.md", "Which ingress protection rating does the WS-40 enclosure carry?",
     "IP65", ["IP66", "IP67", "IP54"]),
    ("products/ws40-weather-station.md", "How much does a complete WS-40, mast included, weigh?",
     "18.5 kg", ["12.5 kg", "24 kg", "9.8 kg"]),
    ("products/ws40-weather-station.md", "Which earlier model did the WS-40 replace in 2021?",
     "WS-30", ["WS-20", "WS-35", "WS-10"]),
    ("products/ws40-weather-station.md", "For how long is the WS-40 mast covered against structural failure?",
     "10 years", ["6 years", "20 years", "8 years"]),
    ("products/ws40-weather-station.md", "Which order code buys only the WS-40 sensor head?",
     "WS40-HEAD", ["WS40-STD", "WS40-SH", "WS40-HF"]),
    ("products/ws40-weather-station.md", "Which gust does each WS-40 record report besides average, minimum and "
     "maximum?", "peak 3-second wind gust", ["peak 1-second wind gust", "peak 10-second wind gust",
                                             "peak 5-second wind gust"]),
    ("products/ws40-weather-station.md", "What Skyline subscription is bundled with order code WS40-STD?",
     "12-month Skyline Team subscription", ["12-month Skyline Basic subscription",
                                            "24-month Skyline Team subscription",
                                            "6-month Skyline Enterprise subscription"]),
    # products/aq7-water-quality-probe.md
    ("products/aq7-water-quality-probe.md", "How many sensor ports does the AQ7 have?",
     "six sensor ports", ["four sensor ports", "eight sensor ports", "five sensor ports"]),
    ("products/aq7-water-quality-probe.md", "How often should the dissolved oxygen sensing cap be replaced?",
     "every 2 years", ["every year", "every 3 years", "every 6 months"]),
    ("products/aq7-water-quality-probe.md", "In very turbid water, how many times may the AQ7 wiper run before a "
     "reading?", "up to four times", ["up to twice", "up to six times", "up to ten times"]),
    ("products/aq7-water-quality-probe.md", "How many wiper brushes come in one pack?",
     "packs of five", ["packs of three", "packs of ten", "packs of two"]),
    ("products/aq7-water-quality-probe.md", "What material is the AQ7 body made of?",
     "grade 2 titanium", ["grade 5 titanium", "316 stainless steel", "anodised aluminium"]),
    ("products/aq7-water-quality-probe.md", "How long is the AQ7 with its sensor guard fitted?",
     "545 mm", ["480 mm", "620 mm", "700 mm"]),
    ("products/aq7-water-quality-probe.md", "What does an AQ7 weigh in air?",
     "1.9 kg", ["1.4 kg", "2.3 kg", "3.1 kg"]),
    ("products/aq7-water-quality-probe.md", "In which lengths is the weighted AQ7 deployment cable sold?",
     "10, 25 or 50 m", ["5, 10 or 20 m", "15, 30 or 60 m", "25, 50 or 100 m"]),
    ("products/aq7-water-quality-probe.md", "What kind of cells power an AQ7 in stand-alone mode?",
     "C-size alkaline cells", ["D-size lithium cells", "AA lithium cells", "C-size NiMH cells"]),
    ("products/aq7-water-quality-probe.md", "Which adaptor cable downloads data from an AQ7?",
     "UA-7", ["UA-5", "UC-7", "USB-7"]),
    ("products/aq7-water-quality-probe.md", "Which is the base AQ7 model, supplied with six empty ports?",
     "AQ7-6P", ["AQ7-6E", "AQ7-BASE", "AQ7-4P"]),
    ("products/aq7-water-quality-probe.md", "What is the smallest borehole diameter listed for AQ7 groundwater "
     "surveys?", "50 mm", ["48 mm", "75 mm", "100 mm"]),
    ("products/aq7-water-quality-probe.md", "How accurate is the AQ7 turbidity sensor?",
     "±2% of reading", ["±5% of reading", "±0.5% of reading", "±10% of reading"]),
    # products/skyline-dashboard.md
    ("products/skyline-dashboard.md", "How many users does Skyline Basic include?",
     "3 users", ["5 users", "10 users", "1 user"]),
    ("products/skyline-dashboard.md", "In what size blocks can extra devices be added to Basic and Team plans?",
     "blocks of 10", ["blocks of 5", "blocks of 25", "blocks of 20"]),
    ("products/skyline-dashboard.md", "Which single sign-on standard does Skyline Enterprise support?",
     "SAML 2.0", ["OpenID Connect", "LDAP", "OAuth 1.0"]),
    ("products/skyline-dashboard.md", "After how long without acknowledgement is a Skyline alarm escalated?",
     "20 minutes", ["10 minutes", "30 minutes", "60 minutes"]),
    ("products/skyline-dashboard.md", "When does Skyline raise a system alarm for a silent device?",
     "twice its expected upload interval", ["three times its expected upload interval",
                                           "after one missed upload", "after 24 hours without data"]),
    ("products/skyline-dashboard.md", "Which format does the Skyline API documentation follow?",
     "OpenAPI 3.1", ["OpenAPI 2.0", "RAML 1.0", "API Blueprint"]),
    ("products/skyline-dashboard.md", "On which day does planned Skyline maintenance take place?",
     "first Tuesday of each month", ["last Sunday of each month", "second Wednesday of each month",
                                     "first Monday of each month"]),
    ("products/skyline-dashboard.md", "After how much inactivity does a Skyline session expire?",
     "12 hours", ["8 hours", "24 hours", "30 minutes"]),
    ("products/skyline-dashboard.md", "Which encryption protects Skyline data at rest?",
     "AES-256", ["AES-128", "RSA-2048", "ChaCha20"]),
    ("products/skyline-dashboard.md", "When are Skyline training webinars for new users held?",
     "every second Thursday of the month", ["every first Monday of the month", "every Friday",
                                            "every last Wednesday of the month"]),
    ("products/skyline-dashboard.md", "What is the lowest of the four roles a Skyline workspace user can have?",
     "Viewer", ["Guest", "Reader", "Observer"]),
    # products/g5-gateway.html
    ("products/g5-gateway.html", "What kind of concentrator does the G5 use?",
     "8-channel", ["16-channel", "4-channel", "32-channel"]),
    ("products/g5-gateway.html", "What range can a G5 expect in towns?",
     "between 1 and 3 km", ["between 4 and 6 km", "under 500 m", "between 8 and 12 km"]),
    ("products/g5-gateway.html", "What is the gain of the antenna supplied with the G5?",
     "5 dBi", ["3 dBi", "8 dBi", "12 dBi"]),
    ("products/g5-gateway.html", "What receive sensitivity does the G5 reach at SF12?",
     "-141 dBm", ["-125 dBm", "-137 dBm", "-148 dBm"]),
    ("products/g5-gateway.html", "What is the G5's maximum transmit power?",
     "27 dBm", ["14 dBm", "20 dBm", "30 dBm"]),
    ("products/g5-gateway.html", "How fast does the G5 switch from a failed Ethernet link to LTE?",
     "within 30 seconds", ["within 5 seconds", "within 2 minutes", "within 10 minutes"]),
    ("products/g5-gateway.html", "Which Power over Ethernet standard powers the G5?",
     "802.3at", ["802.3af", "802.3bt", "802.11ac"]),
    ("products/g5-gateway.html", "What ingress protection does the G5 enclosure offer?",
     "IP67", ["IP65", "IP54", "IP68"]),
    ("products/g5-gateway.html", "How much does a G5 gateway weigh?",
     "2.3 kg", ["1.1 kg", "3.6 kg", "4.8 kg"]),
    ("products/g5-gateway.html", "How high above the ground should a G5 ideally be mounted?",
     "at least 6 m", ["at least 2 m", "at least 10 m", "at least 15 m"]),
    # products/x100-end-of-life-notice.txt
    ("products/x100-end-of-life-notice.txt", "What reference does the X100 end-of-life notice carry?",
     "EOL-2023-04", ["EOL-2024-01", "EOL-2022-11", "EOL-2023-09"]),
    ("products/x100-end-of-life-notice.txt", "How many countries were X100 loggers shipped to?",
     "31 countries", ["18 countries", "46 countries", "52 countries"]),
    ("products/x100-end-of-life-notice.txt", "What is the last date to order X100 spare parts and batteries?",
     "30 September 2025", ["31 March 2024", "31 December 2025", "30 June 2026"]),
    ("products/x100-end-of-life-notice.txt", "After which date can faulty X100 units only be replaced, not repaired?",
     "31 December 2025", ["30 September 2025", "31 March 2025", "30 June 2026"]),
    ("products/x100-end-of-life-notice.txt", "What is the part number of the X100-to-X200 wiring adapter?",
     "WA-12", ["WA-10", "XA-12", "WA-200"]),
    ("products/x100-end-of-life-notice.txt", "Scaling equations with how many terms must be re-entered by hand after "
     "migrating from Logger Studio?", "more than 6 terms", ["more than 3 terms", "more than 10 terms",
                                                             "more than 4 terms"]),
    ("products/x100-end-of-life-notice.txt", "Within how many days of the X200 order must a traded-in X100 be sent "
     "back?", "60 days", ["30 days", "45 days", "90 days"]),
    ("products/x100-end-of-life-notice.txt", "Customers with more than how many X100s can ask for a migration plan "
     "from their account manager?", "50 X100 loggers", ["20 X100 loggers", "100 X100 loggers", "25 X100 loggers"]),
    # policies/warranty-policy.md
    ("policies/warranty-policy.md", "If a product is not delivered sooner, how long after leaving the warehouse "
     "does its warranty start?", "60 days", ["30 days", "90 days", "14 days"]),
    ("policies/warranty-policy.md", "How many times can an Aldermoor warranty be transferred to a new owner?",
     "once", ["twice", "three times", "never"]),
    ("policies/warranty-policy.md", "For how long are rechargeable batteries covered?",
     "12 months", ["6 months", "24 months", "18 months"]),
    ("policies/warranty-policy.md", "What is Aldermoor's turnaround target for warranty repairs at Kellbeck?",
     "10 business days", ["5 business days", "20 business days", "30 business days"]),
    ("policies/warranty-policy.md", "For how long after delivery does Aldermoor provide a prepaid label for "
     "warranty returns?", "90 days", ["30 days", "60 days", "120 days"]),
    ("policies/warranty-policy.md", "What is the policy number of the Aldermoor limited warranty?",
     "POL-CS-003", ["POL-CS-004", "POL-IG-002", "POL-SEC-001"]),
    ("policies/warranty-policy.md", "Besides the extra cover, what does CarePlus include?",
     "one free calibration check per year", ["one free site visit per year", "free advance replacement",
                                             "two free firmware upgrades per year"]),
    ("policies/warranty-policy.md", "When was the warranty policy last reviewed?",
     "February 2024", ["March 2023", "January 2024", "November 2023"]),
    ("policies/warranty-policy.md", "Defects in consumables other than batteries must be reported within how long "
     "of delivery?", "30 days", ["14 days", "60 days", "7 days"]),
    # policies/returns-and-rma.md
    ("policies/returns-and-rma.md", "How long does a customer have to accept a quote for an out-of-warranty "
     "repair?", "21 days", ["14 days", "30 days", "10 days"]),
    ("policies/returns-and-rma.md", "How long are probes without a signed decontamination declaration quarantined?",
     "5 business days", ["2 business days", "10 business days", "3 business days"]),
    ("policies/returns-and-rma.md", "Within how many days must the original unit be returned after receiving a "
     "calibrated exchange unit?", "28 days", ["14 days", "45 days", "60 days"]),
    ("policies/returns-and-rma.md", "At which address is the Aldermoor service centre that receives returns?",
     "Unit 4, Tarnside Business Park", ["Aldermoor House, 14 Tarnside Road", "Building C, Kellbeck",
                                        "Havnehuset, Aarhus"]),
    ("policies/returns-and-rma.md", "What is the policy number of the returns and RMA policy?",
     "POL-CS-004", ["POL-CS-003", "POL-CS-001", "POL-LOG-002"]),
    ("policies/returns-and-rma.md", "How often does the Aarhus consolidation point forward returns to Kellbeck?",
     "weekly", ["daily", "monthly", "fortnightly"]),
    # policies/data-retention-policy.md
    ("policies/data-retention-policy.md", "How long is measurement data kept on Skyline Enterprise by default?",
     "10 years", ["7 years", "20 years", "5 years"]),
    ("policies/data-retention-policy.md", "After a move to a plan with shorter retention, how long are the older "
     "readings kept before deletion?", "90 days", ["30 days", "60 days", "180 days"]),
    ("policies/data-retention-policy.md", "How often are Skyline databases backed up?",
     "every 6 hours", ["every hour", "every 12 hours", "every 24 hours"]),
    ("policies/data-retention-policy.md", "For how long are Skyline backups kept?",
     "35 days", ["14 days", "90 days", "60 days"]),
    ("policies/data-retention-policy.md", "How long are Skyline application and access logs retained?",
     "180 days", ["90 days", "365 days", "400 days"]),
    ("policies/data-retention-policy.md", "How long are workspace audit logs kept?",
     "400 days", ["180 days", "90 days", "730 days"]),
    ("policies/data-retention-policy.md", "How long are RMA and repair records kept?",
     "10 years", ["4 years", "6 years", "7 years"]),
    ("policies/data-retention-policy.md", "How long are recruitment records of unsuccessful candidates kept?",
     "9 months", ["6 months", "12 months", "24 months"]),
    ("policies/data-retention-policy.md", "How often is the data retention policy reviewed?",
     "every 2 years", ["every year", "every 3 years", "every 5 years"]),
    # policies/security-incident-response.md
    ("policies/security-incident-response.md", "How quickly must a SEV2 incident be acknowledged?",
     "30 minutes", ["15 minutes", "1 hour", "4 hours"]),
    ("policies/security-incident-response.md", "How often are updates given during a SEV2 incident?",
     "every 4 hours", ["every hour", "every 2 hours", "every 8 hours"]),
    ("policies/security-incident-response.md", "In which chat channel can staff report a security incident?",
     "#sec-incident", ["#security", "#incident-response", "#bastion"]),
    ("policies/security-incident-response.md", "Within how many hours is a risky personal data breach notified to "
     "the supervisory authority?", "72 hours", ["24 hours", "48 hours", "96 hours"]),
    ("policies/security-incident-response.md", "Within how long of an incident being closed is a SEV1 or SEV2 "
     "post-incident review held?", "5 business days", ["2 business days", "10 business days",
                                                       "20 business days"]),
    ("policies/security-incident-response.md", "How long is evidence kept for incidents involving law "
     "enforcement?", "at least 3 years", ["at least 1 year", "at least 5 years", "at least 10 years"]),
    ("policies/security-incident-response.md", "How often does the Bastion team run a tabletop exercise?",
     "twice a year", ["once a year", "every quarter", "every month"]),
    ("policies/security-incident-response.md", "What severity level covers a contained incident on a single device "
     "or account?", "SEV3", ["SEV1", "SEV2", "SEV4"]),
    # policies/privacy-notice.html
    ("policies/privacy-notice.html", "Which version of the privacy notice took effect on 1 March 2024?",
     "Version 7", ["Version 5", "Version 3", "Version 9"]),
    ("policies/privacy-notice.html", "When do Aldermoor's analytics cookies expire?",
     "390 days", ["180 days", "365 days", "730 days"]),
    ("policies/privacy-notice.html", "How much notice do Skyline Owners get of a significant change to the "
     "privacy notice?", "at least 14 days", ["at least 7 days", "at least 30 days", "at least 60 days"]),
    ("policies/privacy-notice.html", "Where is Aldermoor Instruments Ltd registered?",
     "England and Wales", ["Scotland", "Northern Ireland", "Denmark"]),
    # support/service-levels.md
    ("support/service-levels.md", "What are the support hours of the Priority plan?",
     "07:00–20:00", ["08:30–17:30", "06:00–22:00", "07:00–19:00"]),
    ("support/service-levels.md", "What is the first-response target for a P2 case on Standard support?",
     "8 business hours", ["4 business hours", "2 business days", "16 business hours"]),
    ("support/service-levels.md", "A Premier customer logs a P3 case. How soon should the first reply come?",
     "8 hours", ["4 hours", "1 hour", "12 hours"]),
    ("support/service-levels.md", "For what share of cases each quarter does Aldermoor aim to meet its response "
     "targets?", "95%", ["90%", "99%", "80%"]),
    ("support/service-levels.md", "What average satisfaction score does the support desk aim for?",
     "4.5 out of 5", ["4.0 out of 5", "4.8 out of 5", "4.2 out of 5"]),
    ("support/service-levels.md", "During which period each year is the support desk closed?",
     "24 December to 1 January", ["23 December to 2 January", "25 December to 26 December",
                                  "20 December to 3 January"]),
    ("support/service-levels.md", "Which support plan includes a quarterly service review?",
     "Premier", ["Standard", "Priority", "Basic"]),
    ("support/service-levels.md", "What is the support desk's email address?",
     "support@aldermoor.example", ["help@aldermoor.example", "service@aldermoor.example",
                                   "helpdesk@aldermoor.example"]),
    # support/x200-troubleshooting.md
    ("support/x200-troubleshooting.md", "What document number does the X200 troubleshooting guide have?",
     "SUP-KB-0142", ["SUP-KB-0101", "SUP-SLA-001", "SUP-KB-0217"]),
    ("support/x200-troubleshooting.md", "After a press of the service button, how long does the X200 LED show "
     "its status?", "30 seconds", ["10 seconds", "60 seconds", "5 minutes"]),
    ("support/x200-troubleshooting.md", "Below what battery voltage can an X200 not start?",
     "2.9 V", ["3.1 V", "2.5 V", "3.3 V"]),
    ("support/x200-troubleshooting.md", "Which high-gain antenna kit is suggested for weak-signal X200 sites?",
     "AK-9", ["AK-5", "HG-9", "AK-12"]),
    ("support/x200-troubleshooting.md", "Below which loop current does the X200 report a broken 4–20 mA wire?",
     "3.6 mA", ["4.0 mA", "2.0 mA", "3.8 mA"]),
    ("support/x200-troubleshooting.md", "To what torque should the X200 terminal screws be tightened?",
     "0.5 N·m", ["0.2 N·m", "1.0 N·m", "1.5 N·m"]),
    ("support/x200-troubleshooting.md", "How does the X200 desiccant cartridge change colour when saturated?",
     "from orange to green", ["from blue to pink", "from green to orange", "from white to blue"]),
    ("support/x200-troubleshooting.md", "Where in the Field app is an X200 diagnostic file exported?",
     "Maintenance > Diagnostics", ["Settings > Export", "Maintenance > Factory reset", "Device > Logs"]),
    # support/shipping-and-delivery.md
    ("support/shipping-and-delivery.md", "How long does standard delivery to the rest of the world typically "
     "take?", "5–10 working days", ["3–5 working days", "10–15 working days", "2–4 working days"]),
    ("support/shipping-and-delivery.md", "What is the typical lead time for custom cable assemblies?",
     "10 working days", ["5 working days", "20 working days", "30 working days"]),
    ("support/shipping-and-delivery.md", "Above how many units of the same product should a customer ask for a "
     "confirmed delivery date?", "25 units", ["10 units", "50 units", "100 units"]),
    ("support/shipping-and-delivery.md", "What do Aldermoor order numbers start with?",
     "AO-", ["AL-", "ORD-", "SO-"]),
    ("support/shipping-and-delivery.md", "Under which terms are shipments outside the UK and EU sent?",
     "Delivered At Place", ["Ex Works", "Free On Board", "Carriage Paid To"]),
    ("support/shipping-and-delivery.md", "What size of lorry must be able to reach a WS-40 pallet delivery "
     "address?", "7.5-tonne", ["3.5-tonne", "12-tonne", "18-tonne"]),
    ("support/shipping-and-delivery.md", "How long is the lead time for a WS-40 with a non-standard mast length?",
     "4 weeks", ["2 weeks", "6 weeks", "8 weeks"]),
    # support/faq.html
    ("support/faq.html", "How long is the link in a Skyline password reset email valid?",
     "45 minutes", ["15 minutes", "24 hours", "2 hours"]),
    ("support/faq.html", "How many alarm SMS per month does Skyline Enterprise include?",
     "2,000 per month", ["1,000 per month", "5,000 per month", "500 per month"]),
    ("support/faq.html", "What must be typed to confirm an X200 factory reset?",
     "last four digits of its serial number", ["the workspace name", "the claim code",
                                               "first six digits of its serial number"]),
    ("support/faq.html", "Which network types must a SIM support to work in the XM-2 modem?",
     "LTE-M or NB-IoT", ["GSM or 3G", "5G SA only", "LoRaWAN or Sigfox"]),
    ("support/faq.html", "How long is the Aldermoor Academy hands-on course?",
     "two-day", ["one-day", "three-day", "five-day"]),
    # release-notes/x200-firmware-release-notes.md
    ("release-notes/x200-firmware-release-notes.md", "After how many days of continuous operation could the SDI-12 "
     "bus stop before 4.3.1?", "49.7 days", ["24.8 days", "71.6 days", "99.4 days"]),
    ("release-notes/x200-firmware-release-notes.md", "By about how much does upload compression reduce cellular "
     "data use?", "about 40%", ["about 15%", "about 60%", "about 25%"]),
    ("release-notes/x200-firmware-release-notes.md", "What is the minimum Field app version since X200 firmware "
     "4.3.0?", "5.8", ["5.2", "6.1", "4.9"]),
    ("release-notes/x200-firmware-release-notes.md", "How many registers per device can Modbus RTU master mode "
     "poll each interval?", "32 registers", ["16 registers", "64 registers", "8 registers"]),
    ("release-notes/x200-firmware-release-notes.md", "For how long after the next feature release does an X200 "
     "feature release receive fixes?", "18 months", ["12 months", "24 months", "6 months"]),
    ("release-notes/x200-firmware-release-notes.md", "When was X200 firmware 4.3.0 released?",
     "20 November 2023", ["12 February 2024", "4 September 2023", "15 May 2023"]),
    ("release-notes/x200-firmware-release-notes.md", "How did release 4.3.0 change the default SDI-12 retry count?",
     "from 1 to 3", ["from 3 to 5", "from 1 to 2", "from 2 to 4"]),
    # release-notes/skyline-release-notes.md
    ("release-notes/skyline-release-notes.md", "How many direction sectors can a wind rose use since the "
     "Grisedale release?", "8, 16 or 36", ["4, 8 or 12", "12, 24 or 36", "8, 12 or 24"]),
    ("release-notes/skyline-release-notes.md", "How many times is a failed webhook alarm delivery retried?",
     "up to 5 times", ["up to 3 times", "up to 10 times", "once"]),
    ("release-notes/skyline-release-notes.md", "Below what screen width do Skyline dashboards stack widgets in "
     "one column?", "600 pixels", ["480 pixels", "768 pixels", "1024 pixels"]),
    ("release-notes/skyline-release-notes.md", "What is the name of the Skyline release planned for May 2024?",
     "Harrop", ["Grisedale", "Innominate", "Haweswater"]),
    ("release-notes/skyline-release-notes.md", "In which release did dark mode come to Skyline?",
     "Blea Tarn", ["Codale", "Dock Tarn", "Easedale"]),
    ("release-notes/skyline-release-notes.md", "Which release raised the minimum Skyline password length?",
     "Codale", ["Blea Tarn", "Goat's Water", "Grisedale"]),
    # release-notes/g5-gateway-firmware-notes.txt
    ("release-notes/g5-gateway-firmware-notes.txt", "After how long without a connection does GatewayOS 3.4.0 "
     "power-cycle the LTE modem?", "10 minutes", ["2 minutes", "30 minutes", "1 hour"]),
    ("release-notes/g5-gateway-firmware-notes.txt", "How many devices can the G5's offline network server mode "
     "store data for?", "50 devices", ["100 devices", "25 devices", "400 devices"]),
    ("release-notes/g5-gateway-firmware-notes.txt", "After how long does a remote packet capture stop "
     "automatically?", "30 minutes", ["10 minutes", "60 minutes", "2 hours"]),
    ("release-notes/g5-gateway-firmware-notes.txt", "About how often did the packet forwarder memory leak restart "
     "busy gateways?", "every 19 days", ["every 7 days", "every 30 days", "every 49 days"]),
    ("release-notes/g5-gateway-firmware-notes.txt", "How long does a GatewayOS update normally take?",
     "about 4 minutes", ["about 1 minute", "about 15 minutes", "about 30 minutes"]),
    ("release-notes/g5-gateway-firmware-notes.txt", "What is the operating system of the G5 called?",
     "GatewayOS", ["LarchOS", "Skyline Edge", "LoRaLinux"]),
    # procedures/firmware-update-procedure.txt
    ("procedures/firmware-update-procedure.txt", "What is the number of the firmware update procedure?",
     "PRO-SW-007", ["PRO-SW-004", "PRO-LAB-011", "PRO-FLD-004"]),
    ("procedures/firmware-update-procedure.txt", "Within how long of release should security updates be installed?",
     "30 days", ["7 days", "14 days", "90 days"]),
    ("procedures/firmware-update-procedure.txt", "What kind of key signs Aldermoor firmware images?",
     "Ed25519", ["RSA-4096", "ECDSA P-256", "DSA-1024"]),
    ("procedures/firmware-update-procedure.txt", "After how many failed starts in a row does an X200 return to its "
     "previous firmware by itself?", "three times in a row", ["twice in a row", "five times in a row",
                                                              "ten times in a row"]),
    # procedures/calibration-procedure.md
    ("procedures/calibration-procedure.md", "How long must an instrument rest in the laboratory before calibration "
     "starts?", "at least 4 hours", ["at least 1 hour", "at least 12 hours", "at least 24 hours"]),
    ("procedures/calibration-procedure.md", "Which harness connects all eight X200 analogue channels to the bench?",
     "CB-8", ["CB-4", "CH-8", "LB-8"]),
    ("procedures/calibration-procedure.md", "Within what tolerance must every X200 verification point fall?",
     "±0.02%", ["±0.04%", "±0.1%", "±0.01%"]),
    ("procedures/calibration-procedure.md", "What is the recommended calibration interval for X200 analogue inputs?",
     "24 months", ["12 months", "36 months", "18 months"]),
    ("procedures/calibration-procedure.md", "Which conductivity standard is used for AQ7 probes deployed in "
     "seawater?", "50 mS/cm", ["12.88 mS/cm", "100 mS/cm", "25 mS/cm"]),
    ("procedures/calibration-procedure.md", "How long should you wait before calibrating dissolved oxygen in "
     "water-saturated air?", "10 minutes", ["2 minutes", "30 minutes", "1 hour"]),
    ("procedures/calibration-procedure.md", "How many certificates does the laboratory manager sample each month?",
     "10 certificates", ["5 certificates", "20 certificates", "30 certificates"]),
    ("procedures/calibration-procedure.md", "Within how long is a customer told about an out-of-tolerance "
     "as-found result?", "2 business days", ["5 business days", "1 business day", "10 business days"]),
    # procedures/ws40-installation.md
    ("procedures/ws40-installation.md", "How much concrete does one WS-40 foundation need?",
     "3 bags of 25 kg", ["2 bags of 25 kg", "5 bags of 20 kg", "4 bags of 25 kg"]),
    ("procedures/ws40-installation.md", "How long must the concrete set before the WS-40 mast is fitted?",
     "at least 45 minutes", ["at least 15 minutes", "at least 2 hours", "at least 24 hours"]),
    ("procedures/ws40-installation.md", "What torque does the installation procedure set for the WS-40 base bolts?",
     "35 N·m", ["20 N·m", "50 N·m", "70 N·m"]),
    ("procedures/ws40-installation.md", "Above what mean wind speed should guy wires be fitted to a WS-40?",
     "8 m/s", ["5 m/s", "12 m/s", "20 m/s"]),
    ("procedures/ws40-installation.md", "How high above the ground must the rain gauge rim be?",
     "0.5 m", ["1 m", "0.3 m", "2 m"]),
    ("procedures/ws40-installation.md", "How much rain should a WS-40 record when 100 ml of water is poured into "
     "its gauge?", "about 5 mm", ["about 2 mm", "about 10 mm", "about 1 mm"]),
    ("procedures/ws40-installation.md", "What is the number of the WS-40 installation procedure?",
     "PRO-FLD-004", ["PRO-FLD-001", "PRO-SW-007", "PRO-INS-040"]),
    # company/team-directory.md
    ("company/team-directory.md", "Who leads the Tidewater team?",
     "Jonas Eklund", ["Lukas Brenner", "Gareth Lowther", "Declan Moore"]),
    ("company/team-directory.md", "Who is the team lead of Fieldcraft?",
     "Gareth Lowther", ["Jonas Eklund", "Emma Thorsby", "Tobias Keller"]),
    ("company/team-directory.md", "Which team manages bookings of the environmental test chambers?",
     "Scree", ["Corvid", "Riffle", "Beckside"]),
    ("company/team-directory.md", "Who is the Head of Customer Service?",
     "Martin Achebe", ["Declan Moore", "Hannah Okoye", "Owen Pritchard"]),
    ("company/team-directory.md", "How many people does an Aldermoor team have?",
     "4 to 12 people", ["2 to 6 people", "10 to 20 people", "6 to 15 people"]),
    ("company/team-directory.md", "Which team owns the Skyline cloud platform, API and data pipeline?",
     "Tidewater", ["Lattice", "Wayfarer", "Bastion"]),
    ("company/team-directory.md", "Who leads Logistics?",
     "Declan Moore", ["Sandra Nwosu", "Hannah Okoye", "Gareth Lowther"]),
    # company/about-aldermoor.md
    ("company/about-aldermoor.md", "How many people does Aldermoor employ?",
     "238", ["181", "312", "415"]),
    ("company/about-aldermoor.md", "What share of Aldermoor do employees own through the share plan?",
     "11%", ["5%", "18%", "30%"]),
    ("company/about-aldermoor.md", "How long did the founders' first prototype logger run on Alder Moor without a "
     "visit?", "19 months", ["7 months", "26 months", "12 months"]),
    ("company/about-aldermoor.md", "In which year did the calibration laboratory at Kellbeck open?",
     "2015", ["2012", "2018", "2019"]),
    ("company/about-aldermoor.md", "Where are Aldermoor's circuit boards made?",
     "Wales", ["Scotland", "Denmark", "Ireland"]),
    ("company/about-aldermoor.md", "What share of revenue came from Skyline subscriptions and services in the "
     "financial year ending March 2024?", "28%", ["12%", "35%", "45%"]),
    # company/offices-and-locations.html
    ("company/offices-and-locations.html", "How many staff work at the Aarhus office?",
     "27", ["22", "8", "41"]),
    ("company/offices-and-locations.html", "Who is the site lead of the Boulder office?",
     "Marcus Delgado", ["Signe Mortensen", "Fiona MacRae", "Owen Pritchard"]),
    ("company/offices-and-locations.html", "How many electric vehicle chargers does the Kellbeck visitor car park "
     "have?", "6 electric vehicle chargers", ["4 electric vehicle chargers", "10 electric vehicle chargers",
                                               "2 electric vehicle chargers"]),
    ("company/offices-and-locations.html", "When is the company-wide all-hands meeting held?",
     "last Friday of each month", ["first Monday of each month", "every Wednesday", "last Thursday of each month"]),
    ("company/offices-and-locations.html", "In which building is the Aarhus office?",
     "Havnehuset", ["Aldermoor House", "Tarnside House", "Nordhavn Tower"]),
    ("company/offices-and-locations.html", "What time does the first shuttle bus leave Penrith station for "
     "Aldermoor House?", "07:50", ["07:15", "08:35", "08:10"]),
]
QUIZ_TEST_SHARE = 0.5


def build_quiz() -> dict[str, list[dict]]:
    rng = random.Random(SEED + 3)
    by_source: dict[str, list[int]] = {}
    for i, (source, *_rest) in enumerate(QUIZ):
        by_source.setdefault(source, []).append(i)
    split_of: dict[int, str] = {}
    for items in by_source.values():
        order = items[:]
        rng.shuffle(order)
        for k, i in enumerate(order):  # alternate, so every document has facts in both splits
            split_of[i] = "test" if k % 2 else "train"
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    for split in splits:
        items = [QUIZ[i] for i in range(len(QUIZ)) if split_of[i] == split]
        rng.shuffle(items)
        for n, (source, question, right, wrong) in enumerate(items):
            answer = n % 4  # the right option's position cycles, so positions are balanced
            options = wrong[:]
            rng.shuffle(options)
            options.insert(answer, right)
            splits[split].append({"id": f"quiz-{split}-{n + 1:03d}", "input": question, "choices": options,
                                  "answer": answer, "expected": right, "source": source})
    return splits


# ================================================================ write

TASK_BUILDERS = {"route_ticket": build_route, "rma_extract": build_rma, "reply_style": build_reply,
                 "policy_quiz": build_quiz}


def main() -> None:
    for name, build in TASK_BUILDERS.items():
        for split, rows in build().items():
            jsonl(HERE / name / f"{split}.jsonl", rows)
            print(f"{name}/{split}.jsonl: {len(rows)} rows")
    schema = HERE / "rma_extract" / "schema.json"
    schema.write_text(json.dumps(rma_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{schema.relative_to(HERE)}")


if __name__ == "__main__":
    main()
