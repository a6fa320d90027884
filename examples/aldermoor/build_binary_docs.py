#!/usr/bin/env python3
"""Build the PDF and DOCX documents of the Aldermoor example.

The text of every binary document lives in this script. Running it writes
the .pdf and .docx files into ``documents/`` (the v1 corpus). With ``--v2``
it writes the changed binary documents of the "v2" update into
``update_v2/documents/`` instead.

    python examples/aldermoor/build_binary_docs.py          # v1
    python examples/aldermoor/build_binary_docs.py --v2     # v2 update

Requirements: fpdf2 (PDF) and python-docx (DOCX). The output is
deterministic: fixed creation dates and metadata, and DOCX zip entries with
a fixed timestamp, so re-running the script yields byte-identical files.

PDFs use the core Helvetica font, so all PDF text is restricted to Latin-1
characters (no en dashes, no euro sign; prices in euros are written "EUR").
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_DATE = dt.datetime(2024, 3, 1, 9, 0, 0, tzinfo=dt.timezone.utc)
FIXED_DATE_V2 = dt.datetime(2024, 9, 2, 9, 0, 0, tzinfo=dt.timezone.utc)

# A document is a title plus a list of blocks:
#   ("h1", text) ("h2", text) ("p", text) ("ul", [items]) ("ol", [items])
#   ("table", [header_row, row, row, ...]) ("pagebreak", None)  (PDF only)


def pick(v2: bool, old: str, new: str) -> str:
    """Return the v1 or the v2 wording of a changed fact."""
    return new if v2 else old


# --------------------------------------------------------------------------
# PDF 1: products/price-list.pdf  (multi-page; changed in v2)
# --------------------------------------------------------------------------


def price_list(v2: bool) -> tuple[str, list]:
    x200 = pick(v2, "1,180", "1,240")
    x200_eur = pick(v2, "1,365", "1,435")
    ws40 = pick(v2, "4,650", "4,790")
    ws40_eur = pick(v2, "5,380", "5,540")
    team = pick(v2, "1,450", "1,590")
    team_eur = pick(v2, "1,680", "1,840")
    nff = pick(v2, "85", "90")
    nff_eur = pick(v2, "98", "104")
    band2 = pick(v2, "9%", "11%")
    effective = pick(v2, "1 April 2024", "1 October 2024")
    edition = pick(v2, "2024-A", "2024-B")
    title = f"Aldermoor Instruments Price List, Edition {edition}"
    blocks = [
        ("h1", title),
        (
            "p",
            f"This price list is valid for orders placed directly with Aldermoor Instruments Ltd from "
            f"{effective} until it is replaced by a new edition. Prices are list prices in pounds "
            "sterling (GBP) and euros (EUR), excluding VAT and delivery. Customers in the United States "
            "and Canada should ask the Boulder office for the North American price list. Authorised "
            "distributors set their own prices in their own markets.",
        ),
        ("h2", "1. How to read this price list"),
        (
            "p",
            "Each product is listed with its order code, a short description and its list price. "
            "Products that need options, such as the X200 radio variants, are listed once per option. "
            "Where a product has accessories or services that are usually bought with it, they are "
            "listed in the sections that follow. All hardware prices include a factory calibration "
            "certificate and the standard warranty stated in the product datasheet.",
        ),
        (
            "p",
            "Quotations issued by the sales team are valid for 60 days from the date of the quotation. "
            "Orders are confirmed in writing, and the price on the order confirmation is the price "
            "that will be invoiced.",
        ),
        ("h2", "2. Data loggers"),
        (
            "table",
            [
                ["Order code", "Description", "GBP", "EUR"],
                ["X200-8A4D", "X200 data logger, 8 analogue and 4 pulse inputs, USB only", x200, x200_eur],
                ["X200-8A4D-LTE", "X200 with XM-2 LTE-M/NB-IoT modem", "1,395", "1,610"],
                ["X200-8A4D-LRW", "X200 with LoRaWAN radio (EU868 or US915)", "1,310", "1,515"],
                ["BP-3D", "Replacement lithium battery pack for X200", "64", "74"],
                ["PK-60", "Pole mounting kit, 30-60 mm poles", "38", "44"],
                ["SK-5", "5 W solar kit with regulator and bracket", "215", "249"],
                ["AK-9", "High-gain LTE antenna kit with 5 m cable", "79", "92"],
                ["DC-10", "Desiccant cartridges, pack of 10", "22", "26"],
            ],
        ),
        (
            "p",
            "The X200 is supplied with one BP-3D battery pack, one desiccant cartridge, a USB-C cable "
            "and a quick-start card."
            + pick(v2, " The X100 to X200 wiring adapter WA-12 costs GBP 55 (EUR 64).", ""),
        ),
        ("h2", "3. Weather stations"),
        (
            "table",
            [
                ["Order code", "Description", "GBP", "EUR"],
                [
                    "WS40-STD",
                    "Corvid WS-40 complete station with mast, 12 months Skyline Team",
                    ws40,
                    ws40_eur,
                ],
                ["WS40-HEAD", "Corvid WS-40 sensor head only", "2,890", "3,340"],
                ["WS40-GW", "Guy wire kit for exposed sites", "96", "111"],
                ["WS40-HF", "Humidity filter caps, pack of 4", "34", "39"],
            ],
        ),
        ("pagebreak", None),
        ("h2", "4. Water quality"),
        (
            "table",
            [
                ["Order code", "Description", "GBP", "EUR"],
                ["AQ7-6P", "Riffle AQ7 probe body with wiper and guard, 6 empty ports", "3,240", "3,750"],
                ["AQ7-PH", "pH sensor", "410", "475"],
                ["AQ7-EC", "Conductivity and temperature sensor", "365", "422"],
                ["AQ7-DO", "Optical dissolved oxygen sensor", "780", "903"],
                ["AQ7-TU", "Turbidity sensor", "690", "798"],
                ["AQ7-ORP", "ORP sensor", "395", "457"],
                ["AQ7-WB5", "Wiper brushes, pack of 5", "29", "34"],
                ["UA-7", "USB adaptor cable for AQ7", "48", "56"],
            ],
        ),
        (
            "p",
            "Calibration standards and buffer solutions are sold in kits of 500 ml bottles. Opened "
            "solutions cannot be returned.",
        ),
        ("h2", "5. Soil"),
        (
            "table",
            [
                ["Order code", "Description", "GBP", "EUR"],
                ["SM3-4", "SM3 soil moisture profile sensor, 4 depths, 5 m cable", "860", "995"],
                ["SM3-6", "SM3 soil moisture profile sensor, 6 depths, 5 m cable", "1,040", "1,205"],
                ["SM3-AUG", "Installation auger and slurry kit", "145", "168"],
            ],
        ),
        ("h2", "6. Connectivity"),
        (
            "table",
            [
                ["Order code", "Description", "GBP", "EUR"],
                [
                    "G5-EU",
                    "Larchmont G5 gateway, EU868/UK868, with antenna and surge arrestor",
                    "1,470",
                    "1,700",
                ],
                ["G5-AU", "Larchmont G5 gateway, AU915", "1,510", "1,745"],
                ["CSIM-M", "Aldermoor Connect SIM, per SIM per month", "4.50", "5.20"],
            ],
        ),
        ("pagebreak", None),
        ("h2", "7. Skyline subscriptions"),
        (
            "p",
            "Skyline subscriptions are billed annually in advance. The plans and their limits are "
            "described in the Skyline overview.",
        ),
        (
            "table",
            [
                ["Plan", "Annual price GBP", "Annual price EUR"],
                ["Skyline Basic", "240", "278"],
                ["Skyline Team", team, team_eur],
                ["Skyline Enterprise", "from 6,900", "from 7,990"],
                ["Extra block of 10 devices (Basic and Team)", "180", "208"],
            ],
        ),
        ("h2", "8. Services"),
        (
            "table",
            [
                ["Service", "GBP", "EUR"],
                ["X200 laboratory calibration", "145", "168"],
                ["AQ7 full laboratory calibration, all sensors", "260", "301"],
                ["WS-40 installation by Aldermoor engineers, per station (UK mainland)", "1,150", "1,330"],
                ["Aldermoor Academy two-day course, per participant", "690", "798"],
                ["Out-of-warranty inspection fee", "95", "110"],
            ],
        ),
        (
            "p",
            f"When a returned product is found to have no fault, the no-fault-found handling charge is "
            f"GBP {nff} (EUR {nff_eur}) per product.",
        ),
        (
            "p",
            "CarePlus extended warranty is priced at 14% of the list price of the product it covers. "
            "Priority support is priced as described in the support service levels document.",
        ),
        ("h2", "9. Volume discounts"),
        ("p", "Volume discounts apply to hardware only, per order and per order code:"),
        (
            "ul",
            [
                "5 to 24 units of the same order code: 5% discount.",
                f"25 to 99 units of the same order code: {band2} discount.",
                "100 units or more: price on application.",
            ],
        ),
        (
            "p",
            pick(
                v2,
                "Volume discounts cannot be combined with the X100 trade-in offer or with academic pricing. ",
                "Volume discounts cannot be combined with academic pricing. ",
            )
            + "Universities and schools receive an academic discount of 12% on hardware on presentation "
            "of proof of status.",
        ),
        ("h2", "10. Terms of payment"),
        (
            "p",
            "Invoices are payable within 30 days of the invoice date. New customers without a credit "
            "account pay in advance by bank transfer or card. Aldermoor reserves the right to charge "
            "interest on late payments at the statutory rate.",
        ),
        (
            "p",
            "All prices are subject to change. The price list in force on the date of the order "
            "confirmation applies.",
        ),
    ]
    return title, blocks


# --------------------------------------------------------------------------
# PDF 2: procedures/field-safety-handbook.pdf
# --------------------------------------------------------------------------


def field_safety(v2: bool) -> tuple[str, list]:
    title = "Field Safety Handbook"
    blocks = [
        ("h1", title),
        (
            "p",
            "Procedure number: PRO-HS-002. Owner: Health and Safety, with the Fieldcraft team. This "
            "handbook applies to every Aldermoor employee and contractor who installs, maintains or "
            "removes equipment outside Aldermoor buildings, and to customer staff working alongside "
            "Aldermoor engineers.",
        ),
        ("h2", "1. Principles"),
        (
            "p",
            "Field sites are often remote, wet, cold and far from help. No measurement is worth an "
            "injury. Every engineer has the right and the duty to stop work if conditions are unsafe, "
            "without having to justify the decision to a customer or a manager. A job that is stopped "
            "for safety reasons is rescheduled without any penalty.",
        ),
        ("h2", "2. Planning a field visit"),
        (
            "ul",
            [
                "Complete a site risk assessment in the SafeTrack app before the first visit to a new site.",
                "Check the mountain and marine weather forecast on the morning of the visit.",
                "Leave a visit plan in SafeTrack with the site location, the expected finish time and the "
                "vehicle registration.",
                "Carry a charged phone and, on sites without mobile coverage, a satellite messenger.",
            ],
        ),
        ("h2", "3. Lone working"),
        (
            "p",
            "Some maintenance visits may be carried out by one person, but installations of masts and "
            "all work on or near water always need two people. A lone worker must check in through "
            "SafeTrack at least every 2 hours. If a check-in is missed, SafeTrack alerts the duty "
            "field coordinator after a grace period of 30 minutes, and the coordinator starts the "
            "missed check-in procedure, which ends with a call to the emergency services if the "
            "worker cannot be reached within a further hour.",
        ),
        ("h2", "4. Weather limits"),
        (
            "p",
            "Do not raise, lower or climb a mast when wind gusts exceed 15 m/s. Stop all work at "
            "height and move away from masts when thunder is heard, and do not restart until "
            "30 minutes after the last thunder. In snow and ice, use crampons or ice grips on slopes "
            "and allow extra time for every task.",
        ),
        ("h2", "5. Working near water"),
        (
            "p",
            "Working near water is the highest-risk activity in Aldermoor field work. The following "
            "rules apply to all deployments of water-quality probes and river level sensors:",
        ),
        (
            "ul",
            [
                "A lifejacket must be worn by anyone working within 2 m of water deeper than 0.8 m.",
                "Never wade in water flowing faster than 1 m/s, or in water whose depth you cannot see.",
                "Carry a throw line of at least 15 m on every water visit.",
                "Wear gloves when handling probes from wastewater or farm drainage, and cover cuts with "
                "waterproof plasters.",
            ],
        ),
        (
            "p",
            "Every field engineer carries a leptospirosis (Weil's disease) warning card and must show "
            "it to a doctor if flu-like symptoms develop within 3 weeks of working in or near water.",
        ),
        ("h2", "6. Cold and heat"),
        (
            "p",
            "Winter field kit, including insulated overtrousers and a group shelter, is issued to "
            "every field engineer and must be carried in the vehicle from 1 November to 31 March. In hot "
            "weather, carry at least 3 litres of drinking water per person for a full day on site.",
        ),
        ("h2", "7. Vehicles and driving"),
        (
            "p",
            "Aldermoor field vehicles are four-wheel-drive vans or pick-ups. Only engineers who have "
            "completed the off-road driving course may take a vehicle off a public road. A field "
            "engineer may drive for at most 8 hours in a working day, including the journey home; "
            "if a site is further away, an overnight stay is booked.",
        ),
        (
            "table",
            [
                ["Vehicle equipment", "Check"],
                ["First-aid kit and burns kit", "Weekly"],
                ["Fire extinguisher (2 kg powder)", "Monthly"],
                ["Tow rope, shovel and recovery boards", "Monthly"],
                ["Spare phone charger and power bank", "Before each trip"],
            ],
        ),
        ("h2", "8. Work at height"),
        (
            "p",
            "Masts up to 3 m are raised from the ground and are never climbed. Work on taller masts, "
            "rooftops or bridges requires a specific method statement and a harness inspected in the "
            "last 6 months. Ladders are used only for short tasks and must be footed by a second "
            "person.",
        ),
        ("h2", "9. First aid"),
        (
            "p",
            "Every field team includes at least one qualified outdoor first aider. Outdoor first aid "
            "qualifications are refreshed every 18 months through the Aldermoor training programme.",
        ),
        ("h2", "10. Reporting accidents and near misses"),
        (
            "p",
            "All accidents, injuries and near misses must be reported in SafeTrack within 24 hours. "
            "Near misses are as important as accidents, because they show where the next accident "
            "could happen. The Health and Safety committee reviews every report at its monthly "
            "meeting and publishes lessons learned to all field staff.",
        ),
    ]
    return title, blocks


# --------------------------------------------------------------------------
# PDF 3: company/sustainability-report-2023.pdf
# --------------------------------------------------------------------------


def sustainability(v2: bool) -> tuple[str, list]:
    title = "Sustainability Report 2023"
    blocks = [
        ("h1", title),
        (
            "p",
            "Aldermoor Instruments Ltd. Reporting period: 1 January to 31 December 2023. Prepared by "
            "the Sustainability working group and approved by the board.",
        ),
        ("h2", "A message from our chief executive"),
        (
            "p",
            "Our instruments help customers protect rivers, soils and air, so we hold ourselves to "
            "the same standard. In 2023 we cut our own emissions, extended our take-back programme "
            "and removed plastic foam from our packaging. There is more to do, and this report sets "
            "out honestly where we stand, including the areas where we missed our targets.",
        ),
        ("h2", "1. Climate"),
        (
            "p",
            "Aldermoor's combined Scope 1 and Scope 2 greenhouse gas emissions in 2023 were "
            "312 tonnes of CO2 equivalent, a reduction of 18% compared with 2022. The largest "
            "reduction came from replacing diesel field vans with electric vehicles: 11 of the 16 "
            "vehicles in our fleet were electric at the end of 2023.",
        ),
        (
            "p",
            "All electricity used at Kellbeck has come from renewable sources since 2021. In 2023 we "
            "installed a 240 kW solar array on the roof of Building B, which supplied 27% of the "
            "site's electricity in its first nine months.",
        ),
        (
            "p",
            "Our targets are net zero Scope 1 and Scope 2 emissions by 2030 and net zero across the "
            "whole value chain, including Scope 3, by 2040. Scope 3 emissions, mainly from purchased "
            "components and freight, were estimated at 4,850 tonnes of CO2 equivalent in 2023.",
        ),
        ("h2", "2. Products and circularity"),
        (
            "p",
            "We design instruments to last, to be repaired and to be upgraded in the field. Through "
            "our take-back programme customers can return any Aldermoor instrument at the end of its "
            "life free of charge. In 2023 we took back 1,870 instruments. Of these, 41% were "
            "refurbished and resold or used as exchange units, and parts from a further 23% were "
            "reused in repairs. The remainder were recycled by licensed recyclers.",
        ),
        (
            "table",
            [
                ["Indicator", "2022", "2023"],
                ["Instruments taken back", "1,240", "1,870"],
                ["Share refurbished and reused", "36%", "41%"],
                ["Average repair turnaround (business days)", "12", "9"],
                ["Packaging from recycled or renewable material", "78%", "94%"],
            ],
        ),
        (
            "p",
            "In 2023 we removed all expanded polystyrene foam from our packaging and replaced it "
            "with moulded paper pulp inserts made in Lancashire.",
        ),
        ("h2", "3. Nature"),
        (
            "p",
            "Aldermoor supports peatland restoration on Alder Moor, the bog where our first prototype "
            "was tested. In 2023 we donated GBP 65,000 to the Alder Moor restoration project and "
            "provided 12 monitoring stations free of charge to measure water table recovery. The "
            "project blocked drainage ditches along 3.4 km and rewetted 46 hectares of bog.",
        ),
        ("h2", "4. People"),
        (
            "p",
            "Every Aldermoor employee can take 2 paid volunteering days each year. In 2023, 61% of "
            "employees used at least one volunteering day, mainly for tree planting, river clean-ups "
            "and science clubs in local schools. The gender balance of our engineering teams "
            "improved from 24% to 29% women.",
        ),
        ("h2", "5. Where we fell short"),
        (
            "p",
            "We aimed to make all company cars electric by the end of 2023 and did not reach this "
            "target, because suitable four-wheel-drive electric vehicles for remote field work were "
            "not available in time. The remaining diesel vehicles are used only in the Highlands "
            "and will be replaced during 2025. We also missed our target to publish product carbon "
            "footprints for all products; footprints for the X200 and WS-40 are now complete and the "
            "others will follow in 2024.",
        ),
        ("h2", "6. Governance"),
        (
            "p",
            "Sustainability is overseen by the board. The Sustainability working group meets every "
            "month and includes members from engineering, operations, finance and the People team. "
            "Emissions figures are calculated using the Greenhouse Gas Protocol and were reviewed by "
            "an independent consultant.",
        ),
    ]
    return title, blocks


# --------------------------------------------------------------------------
# DOCX 1: policies/travel-and-expense-policy.docx  (changed in v2)
# --------------------------------------------------------------------------


def travel_expense(v2: bool) -> tuple[str, list]:
    london = pick(v2, "£190", "£210")
    mileage = pick(v2, "38p per mile", "42p per mile")
    per_diem = pick(v2, "£42", "£46")
    claim_window = pick(v2, "within 30 days", "within 60 days")
    title = "Travel and Expense Policy"
    blocks = [
        ("h1", title),
        (
            "p",
            "Policy number: POL-FIN-006. Owner: Finance. Applies to all employees and to contractors "
            "whose contract allows them to claim expenses.",
        ),
        ("h2", "1. Principles"),
        (
            "p",
            "Aldermoor pays for the reasonable costs of travelling and working away from your normal "
            "workplace on company business. You should spend the company's money as carefully as you "
            "would your own, choose the lowest-cost option that allows you to do the job safely and "
            "well, and consider whether a video call could replace the trip.",
        ),
        ("h2", "2. Booking travel"),
        (
            "p",
            "All flights, trains and hotels must be booked through Waymark, the company travel "
            "booking tool, unless Waymark cannot book the journey. Bookings made through Waymark are "
            "paid centrally and do not need to be claimed.",
        ),
        ("h2", "3. Air travel"),
        (
            "ul",
            [
                "Economy class for all flights with a scheduled duration of under 6 hours.",
                "Premium economy for flights of 6 hours or longer.",
                "Business class only with the written approval of the chief executive.",
            ],
        ),
        (
            "p",
            "Domestic flights within Great Britain are allowed only when the train journey would take "
            "more than 5 hours each way.",
        ),
        ("h2", "4. Rail and road"),
        (
            "p",
            "Rail travel is in standard class. First class may be booked if it costs no more than "
            "standard class at the time of booking.",
        ),
        (
            "p",
            f"Employees who use their own car for business journeys are reimbursed at {mileage} for "
            "the first 10,000 business miles in a tax year. Pool cars at Kellbeck should be used "
            "instead of private cars for journeys over 150 miles.",
        ),
        ("h2", "5. Accommodation"),
        (
            "p",
            "Hotel bookings must stay within the nightly caps below, which include breakfast and "
            "local taxes. A higher rate needs the approval of your budget holder before booking.",
        ),
        (
            "table",
            [
                ["Location", "Nightly cap"],
                ["London", london],
                ["Rest of the United Kingdom", "£125"],
                ["Aarhus and Copenhagen", "DKK 1,450"],
                ["Boulder and Denver", "USD 220"],
                ["Other locations", "Agreed with Finance before travel"],
            ],
        ),
        (
            "p",
            "Field engineers staying in remote accommodation such as bunkhouses may claim a field "
            "allowance of £18 per night instead of a hotel.",
        ),
        ("h2", "6. Meals"),
        (
            "p",
            f"When you are away from home overnight on business, you may claim actual meal costs up "
            f"to a daily allowance of {per_diem} in the United Kingdom. For travel abroad the daily "
            "allowance is the local equivalent set by Finance each January. Alcohol is not "
            "reimbursed, except as part of approved client entertainment.",
        ),
        ("h2", "7. Client entertainment and gifts"),
        (
            "p",
            "Client entertainment must be approved in advance by your line manager and is limited to "
            "£60 per person including drinks. Gifts to customers must not exceed £40 in value and "
            "must be recorded in the gifts register.",
        ),
        ("h2", "8. Claiming expenses"),
        (
            "p",
            f"Expense claims are submitted in Ledgerline, the Aldermoor expense system, {claim_window} "
            "of the date the cost was incurred. Claims submitted later are paid only with the "
            "approval of the Finance Director.",
        ),
        (
            "ul",
            [
                "Attach an itemised receipt for every expense over £10.",
                "Claims are approved by your line manager; single claims over £2,500 also need Finance "
                "Director approval.",
                "Approved claims are paid with the next monthly salary if approved by the 20th of the month.",
            ],
        ),
        ("h2", "9. Company cards"),
        (
            "p",
            "Employees who travel frequently may be issued a company credit card with a monthly "
            "limit of £4,000. Card transactions must be reconciled in Ledgerline every month. The "
            "card must never be used for personal spending.",
        ),
        ("h2", "10. Insurance and safety"),
        (
            "p",
            "All business travellers are covered by the company travel insurance policy. Before "
            "travelling abroad, register the trip in Waymark so that the travel security service "
            "can contact you in an emergency. Field work travel must also follow the field safety "
            "handbook.",
        ),
    ]
    return title, blocks


# --------------------------------------------------------------------------
# DOCX 2: procedures/employee-onboarding.docx
# --------------------------------------------------------------------------


def onboarding(v2: bool) -> tuple[str, list]:
    title = "Employee Onboarding Procedure"
    blocks = [
        ("h1", title),
        (
            "p",
            "Procedure number: PRO-PPL-001. Owner: People team. This procedure describes what "
            "happens before and during a new employee's first weeks at Aldermoor, and who is "
            "responsible for each step.",
        ),
        ("h2", "1. Before the first day"),
        (
            "ul",
            [
                "The People team sends the contract and the welcome pack at least 2 weeks before the "
                "start date.",
                "The hiring manager chooses a buddy and books the first-week meetings.",
                "Workplace Services prepares a laptop, two hardware security keys, a building pass and, "
                "for field staff, a phone and personal protective equipment.",
                "The new employee completes the right-to-work check and the bank details form online.",
            ],
        ),
        ("h2", "2. The first day"),
        (
            "p",
            "New employees at Kellbeck arrive at the Building A reception at 09:30 on their first "
            "day, where their hiring manager meets them. The morning covers the building pass, a "
            "fire safety briefing, laptop set-up with the IT team and the enrolment of the security "
            "keys. The afternoon is spent with the team. The buddy takes the new employee to lunch "
            "in the canteen on the first day, paid for by the company.",
        ),
        (
            "p",
            "New employees in Aarhus, Boulder and Inverness follow the same steps with their local "
            "site lead and join the Kellbeck sessions of the induction week by video.",
        ),
        ("h2", "3. Induction week"),
        (
            "table",
            [
                ["Day", "Main activity", "Led by"],
                ["Monday", "Welcome, IT set-up, fire safety briefing", "Hiring manager and IT"],
                ["Tuesday", "Aldermoor products and customers", "Academy"],
                ["Wednesday", "Tour of production, warehouse and calibration laboratory", "Beckside team"],
                ["Thursday", "Skyline hands-on session", "Tidewater team"],
                ["Friday", "Goals for the first 90 days, agreed with the manager", "Hiring manager"],
            ],
        ),
        (
            "p",
            "Every new starter also attends a Founders' Coffee, an informal hour with Ingrid "
            "Halvorsen and the chief executive held on the first Wednesday of each month.",
        ),
        ("h2", "4. Mandatory training"),
        (
            "p",
            "The following courses are mandatory. The People team tracks completion in the learning "
            "system and reminds managers of overdue courses.",
        ),
        (
            "table",
            [
                ["Course", "Who", "Deadline"],
                ["Security awareness", "All employees", "Within 10 working days of the start date"],
                ["Data protection basics", "All employees", "Within the first month"],
                ["Manual handling", "Production and warehouse staff", "Before working in production"],
                ["Fellsafe field safety course (2 days)", "Field staff", "Before the first field visit"],
            ],
        ),
        ("h2", "5. Buddy programme"),
        (
            "p",
            "The buddy is an experienced colleague who answers everyday questions and helps the new "
            "employee build a network. Buddy and new employee meet once a week for the first "
            "8 weeks. Buddies receive a short briefing from the People team and a thank-you voucher "
            "when the programme ends.",
        ),
        ("h2", "6. Probation"),
        (
            "p",
            "All new employees have a probation period of 6 months. The manager holds a formal "
            "mid-probation review after 3 months and confirms the end of probation in writing. "
            "Probation can be extended once, by up to 3 months, if more time is needed.",
        ),
        ("h2", "7. Benefits enrolment"),
        (
            "ul",
            [
                "Pension: employees are enrolled automatically; Aldermoor contributes 7% of salary when "
                "the employee contributes at least 4%.",
                "Holiday: 27 days per year plus public holidays, and an extra day off in the week of "
                "your birthday.",
                "Employee share plan: open to employees who have completed their probation.",
                "Cycle to work scheme and electric car salary sacrifice: apply through the People team "
                "portal.",
            ],
        ),
        ("h2", "8. Checking in"),
        (
            "p",
            "The People team sends a short survey to every new employee at the end of their first "
            "month and again after 6 months. The results are used to improve this procedure, which "
            "is reviewed every year.",
        ),
    ]
    return title, blocks


# --------------------------------------------------------------------------
# DOCX 3: products/sm3-soil-moisture-sensor.docx
# --------------------------------------------------------------------------


def sm3(v2: bool) -> tuple[str, list]:
    title = "SM3 Soil Moisture Profile Sensor - Product Guide"
    blocks = [
        ("h1", title),
        ("p", "Document owner: Product Management, Agriculture and Soils."),
        ("h2", "1. Overview"),
        (
            "p",
            "The SM3 is a soil moisture profile sensor: a single slim probe, installed vertically in "
            "the ground, that measures soil moisture and soil temperature at several depths. It is "
            "used for irrigation scheduling, drought monitoring, landslide early warning and soil "
            "science research. The SM3 connects to an X200 data logger or a WS-40 weather station "
            "over SDI-12, and its readings appear in Skyline as one channel per depth.",
        ),
        (
            "p",
            "The SM3 was developed with the agricultural college that ran the first Larchmont Farm "
            "LoRaWAN network, and was launched in 2023.",
        ),
        ("h2", "2. Models"),
        (
            "table",
            [
                ["Model", "Sensing depths", "Probe length", "Weight"],
                ["SM3-4", "10, 20, 40 and 60 cm", "70 cm", "780 g"],
                ["SM3-6", "10, 20, 30, 40, 60 and 90 cm", "100 cm", "1.05 kg"],
            ],
        ),
        ("h2", "3. Measurement"),
        (
            "p",
            "At each depth the SM3 measures volumetric water content with a capacitance (frequency "
            "domain) sensor that looks at a cylinder of soil about 10 cm in diameter around the "
            "probe. A thermistor at each depth measures soil temperature.",
        ),
        (
            "ul",
            [
                "Volumetric water content range: 0 to 60%.",
                "Accuracy with the generic soil calibration: plus or minus 3.5% volumetric water content.",
                "Accuracy with a soil-specific calibration: plus or minus 2% volumetric water content.",
                "Soil temperature accuracy: plus or minus 0.3 °C.",
                "A full profile reading takes 2.5 seconds.",
            ],
        ),
        (
            "p",
            "The sensor also reports an uncalibrated salinity index for each depth, which is useful "
            "for spotting fertiliser movement but is not a substitute for laboratory analysis.",
        ),
        ("h2", "4. Electrical and environmental"),
        (
            "table",
            [
                ["Property", "Value"],
                ["Interface", "SDI-12, version 1.4"],
                ["Supply voltage", "6 to 16 V DC"],
                ["Current during measurement", "18 mA"],
                ["Sleep current", "0.1 mA"],
                ["Operating temperature", "-20 °C to +60 °C"],
                ["Ingress protection", "IP68, buried to 1.5 m"],
                ["Standard cable", "5 m, extendable to 50 m"],
            ],
        ),
        ("h2", "5. Installation"),
        (
            "p",
            "Good contact between the probe and the soil is essential for accurate readings. Air "
            "gaps around the probe make the readings too low.",
        ),
        (
            "ol",
            [
                "Choose a spot that represents the field, away from wheel tracks and at least 1 m from "
                "irrigation drippers.",
                "Drill a vertical hole with the 32 mm installation auger to the depth of the probe.",
                "Mix the removed soil with water into a slurry and pour it into the hole.",
                "Push the probe into the slurry until the collar rests on the soil surface.",
                "Leave the readings to settle for 48 hours before using them for decisions.",
            ],
        ),
        (
            "p",
            "In stony soils, where an auger cannot reach the full depth, choose the SM3-4 or install "
            "the probe in a pre-drilled access tube.",
        ),
        ("h2", "6. Using the data"),
        (
            "p",
            "Skyline shows SM3 data as a profile chart, with depth on the vertical axis and colour "
            "showing moisture over time. Irrigation alarms can be set on the average moisture of "
            "the root zone, which the user defines as a range of depths.",
        ),
        ("h2", "7. Warranty and service"),
        (
            "p",
            "The SM3 is covered by a warranty of 20 months. The cable is covered against "
            "manufacturing defects but not against damage by animals, cultivation machinery or "
            "rodents. The SM3 has no user-serviceable parts and no consumables.",
        ),
    ]
    return title, blocks


V1_DOCS = {
    "products/price-list.pdf": price_list,
    "procedures/field-safety-handbook.pdf": field_safety,
    "company/sustainability-report-2023.pdf": sustainability,
    "policies/travel-and-expense-policy.docx": travel_expense,
    "procedures/employee-onboarding.docx": onboarding,
    "products/sm3-soil-moisture-sensor.docx": sm3,
}

# Binary documents that change in the v2 update.
V2_CHANGED = ["products/price-list.pdf", "policies/travel-and-expense-policy.docx"]


# --------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------


def _latin1(text: str) -> str:
    text.encode("latin-1")  # raise early on characters the core fonts cannot show
    return text


def render_pdf(title: str, blocks: list, path: Path, created: dt.datetime) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author("Aldermoor Instruments Ltd")
    pdf.set_creator("Aldermoor document build")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(created)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for kind, content in blocks:
        if kind == "h1":
            pdf.set_font("Helvetica", "B", 18)
            pdf.multi_cell(width, 9, _latin1(content), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
        elif kind == "h2":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(width, 7, _latin1(content), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "p":
            pdf.set_font("Helvetica", "", 10.5)
            pdf.multi_cell(width, 5.5, _latin1(content), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind in ("ul", "ol"):
            pdf.set_font("Helvetica", "", 10.5)
            for i, item in enumerate(content, 1):
                marker = "-" if kind == "ul" else f"{i}."
                pdf.set_x(pdf.l_margin + 4)
                pdf.multi_cell(width - 4, 5.5, _latin1(f"{marker} {item}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "table":
            pdf.set_font("Helvetica", "", 9.5)
            with pdf.table(text_align="LEFT", line_height=5.5) as table:
                for r, row in enumerate(content):
                    cells = table.row()
                    for cell in row:
                        if r == 0:
                            pdf.set_font("Helvetica", "B", 9.5)
                        cells.cell(_latin1(cell))
                        pdf.set_font("Helvetica", "", 9.5)
            pdf.ln(3)
        elif kind == "pagebreak":
            pdf.add_page()
        else:
            raise ValueError(kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(pdf.output()))


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a DOCX zip with fixed timestamps so the bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 3, 1, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render_docx(title: str, blocks: list, path: Path, created: dt.datetime) -> None:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = title
    props.author = "Aldermoor Instruments Ltd"
    props.last_modified_by = "Aldermoor document build"
    naive = created.replace(tzinfo=None)
    props.created = naive
    props.modified = naive
    props.last_printed = naive
    props.revision = 1
    for kind, content in blocks:
        if kind == "h1":
            document.add_heading(content, level=1)
        elif kind == "h2":
            document.add_heading(content, level=2)
        elif kind == "p":
            document.add_paragraph(content)
        elif kind == "ul":
            for item in content:
                document.add_paragraph(item, style="List Bullet")
        elif kind == "ol":
            for item in content:
                document.add_paragraph(item, style="List Number")
        elif kind == "table":
            table = document.add_table(rows=len(content), cols=len(content[0]))
            table.style = "Table Grid"
            for r, row in enumerate(content):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
                    if r == 0:
                        for run in table.cell(r, c).paragraphs[0].runs:
                            run.bold = True
        elif kind == "pagebreak":
            continue
        else:
            raise ValueError(kind)
    buf = io.BytesIO()
    document.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_normalise_zip(buf.getvalue()))


def build(v2: bool) -> list[Path]:
    out_root = HERE / ("update_v2/documents" if v2 else "documents")
    names = V2_CHANGED if v2 else list(V1_DOCS)
    written = []
    for rel in names:
        title, blocks = V1_DOCS[rel](v2)
        path = out_root / rel
        created = FIXED_DATE_V2 if v2 else FIXED_DATE
        if rel.endswith(".pdf"):
            render_pdf(title, blocks, path, created)
        else:
            render_docx(title, blocks, path, created)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--v2", action="store_true", help="write the changed binary documents of the v2 update"
    )
    args = parser.parse_args()
    for path in build(args.v2):
        print(path.relative_to(HERE))


if __name__ == "__main__":
    main()
