"""Title, date and authors from the page itself, one test per layout the site and its
reports use (:data:`LAYOUTS`, also scored by ``measure_layouts.py``), plus the seeds
with their sidecars taken away, HTML metadata, and PDFs whose information dictionary
is good, junk or missing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.load import load
from ingest.names import is_job_title, looks_like_name, split_names

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

# --- the layouts: synthetic pages written by us (no real page copied) ----------------------

COOKIES = (
    "This site uses cookies. By continuing to browse the site you are agreeing to our use"
    " of cookies.Find out more here"
)
PROMPT = (
    "To discuss how you and your organisation can get more involved with The Work"
    " Foundation, please contact us."
)
BODY = (
    "It's time to provide an update on our work on the labour market, which has moved on"
    " a great deal since the spring. Employment has risen, but wages have not kept pace.\n\n"
    "The picture differs from city to city, and the policy response should too."
)


@dataclass(frozen=True)
class Layout:
    name: str
    text: str
    title: str
    date: str | None
    authors: tuple[str, ...]


LAYOUTS = [
    Layout(
        "author card before the title, doubled Authors line",
        f"{COOKIES}\n\n{PROMPT}\n\nCall 020 7976 3575 or email\n\n"
        "Stephen Bevan\nDirector, Centre for Workforce Effectiveness\nStephen Bevan\n\n"
        "Fit for work? Musculoskeletal disorders in the labour market\n\n"
        "Authors: Stephen Bevan Stephen Bevan\n\n14 March 2012\n\n" + BODY,
        "Fit for work? Musculoskeletal disorders in the labour market",
        "2012-03-14",
        ("Stephen Bevan",),
    ),
    Layout(
        "card with a prefix, Authors line with and without it",
        "Dr Neil Lee\nHead of the socio-economic centre\nDr Neil Lee\n\n"
        "Cities and the recovery\n\nAuthors: Dr Neil Lee Neil Lee\n\n02 October 2012\n\n" + BODY,
        "Cities and the recovery",
        "2012-10-02",
        ("Dr Neil Lee",),
    ),
    Layout(
        "card without a job title, no Authors line",
        "Ian Brinkley\nIan Brinkley\n\nThe knowledge economy after the recession\n\n"
        "21 June 2011\n\n" + BODY,
        "The knowledge economy after the recession",
        "2011-06-21",
        ("Ian Brinkley",),
    ),
    Layout(
        "navigation in capitals and a banner before the title",
        "HOME\nABOUT US\nGET INVOLVED\nPUBLICATIONS\n\n"
        "VENUE HIRE>Book before 15th of May for our summer rates…\n\n"
        "Lizzie Crowley\nResearcher\n\nYouth unemployment in the core cities\n\n"
        "Authors: Lizzie Crowley\n\n3 May 2013\n\n" + BODY,
        "Youth unemployment in the core cities",
        "2013-05-03",
        ("Lizzie Crowley",),
    ),
    Layout(
        "job title glued to the name in the Authors line",
        "Katie Schmuecker\nPolicy Director\n\nLocal growth after the regions\n\n"
        "Authors: Katie Schmuecker Policy Director of Policy\n\n11 January 2011\n\n" + BODY,
        "Local growth after the regions",
        "2011-01-11",
        ("Katie Schmuecker",),
    ),
    Layout(
        "organisation before the name in the Authors line",
        "Good work and the quality of jobs\n\nAuthors: The Work Foundation Stephen Overell\n\n"
        "9 September 2011\n\n" + BODY,
        "Good work and the quality of jobs",
        "2011-09-09",
        ("Stephen Overell",),
    ),
    Layout(
        "multi-author report page, names with separators",
        "REPORTS\n\nStreets ahead: what makes a city innovative?\n\n"
        "Authors: Lizzie Crowley, Ian Brinkley and Dr Neil Lee\n\n07 December 2011\n\n" + BODY,
        "Streets ahead: what makes a city innovative?",
        "2011-12-07",
        ("Lizzie Crowley", "Ian Brinkley", "Dr Neil Lee"),
    ),
    Layout(
        "multi-author report page, names run together and doubled",
        "Charles Levy\nSenior Economist\nCharles Levy\n\nAndrew Sissons\nResearcher\n"
        "Andrew Sissons\n\nA plan for growth in the knowledge economy\n\n"
        "Authors: Charles Levy Charles Levy Andrew Sissons Andrew Sissons\n\n"
        "14 April 2011\n\n" + BODY,
        "A plan for growth in the knowledge economy",
        "2011-04-14",
        ("Charles Levy", "Andrew Sissons"),
    ),
    Layout(
        "Authors label with the names on the lines below",
        "Working lives in the digital economy\n\nAuthors:\nDr Neil Lee\nLizzie Crowley\n\n"
        "Published: 18 July 2012\n\n" + BODY,
        "Working lives in the digital economy",
        "2012-07-18",
        ("Dr Neil Lee", "Lizzie Crowley"),
    ),
    Layout(
        "press release: title, date, text, notes to editors, media contacts",
        f"{COOKIES}\n\n{PROMPT}\n\nPay growth stalls in the North\n\n27 February 2013\n\n"
        "Pay growth has stalled in northern cities, according to a report published today"
        " by The Work Foundation.\n\n"
        "Ian Brinkley, report author and Chief Economist at The Work Foundation, said: "
        "“The recovery has not reached these places.”\n\nNotes to Editors\n\n"
        "• The report is available from the media team.\n\nMedia enquiries:\n\n"
        "Tom Phillips 020 7976 3646",
        "Pay growth stalls in the North",
        "2013-02-27",
        ("Ian Brinkley",),
    ),
    Layout(
        "the first sentence of the body is not a title",
        "Good jobs for a changing economy\n\n05/11/2012\n\nBy Stephen Overell\n\n" + BODY,
        "Good jobs for a changing economy",
        "2012-11-05",
        ("Stephen Overell",),
    ),
    Layout(
        "a short title that reads like a name",
        "Working Lives\n\nAuthors: Charles Levy\n\n1 June 2012\n\n" + BODY,
        "Working Lives",
        "2012-06-01",
        ("Charles Levy",),
    ),
    Layout(
        "people page: a card and a biography",
        "OUR PEOPLE\n\nProfessor Stephen Bevan\nDirector of the Centre for Workforce"
        " Effectiveness\n\nStephen joined The Work Foundation in 1997 and leads its work on"
        " health and wellbeing at work, advising employers and government.",
        "Professor Stephen Bevan",
        None,
        (),
    ),
    Layout(
        "people page: a card with telephone and e-mail, a biography, dated publications",
        f"{COOKIES}\n\nHome > About us > Our people\n\nOur people\n\nDr Rosa Marsh\n"
        "Senior Researcher\nT 020 7946 0012\nE rmarsh@example.org\nDr Rosa Marsh\n\n"
        "Rosa leads research on skills and the labour market, and joined the organisation in"
        " 2010 from a university economics department.\n\nRecent publications\n\n"
        "Skills for the recovery – 12 March 2012\n\nCities and skills\nDr Rosa Marsh, Ann Lo\n"
        "5 May 2011\n\nShare this page",
        "Dr Rosa Marsh",
        None,
        (),
    ),
    Layout(
        "blog post dated with the day's name, subheadings and dated comments below",
        "HOME   ABOUT US   BLOG\n\nSearch                 Go\n\nTom Aske\nEconomist\nTom Aske\n\n"
        "Are apprenticeships working?\n\nAuthors: Tom Aske Tom Aske\n\n"
        "Wednesday 7 March 2012\n\n"
        + BODY
        + "\n\nWhat the figures say\n\n"
        + BODY
        + "\n\nComments\n\nJane Rowe, 9 March 2012\n\nA useful piece.",
        "Are apprenticeships working?",
        "2012-03-07",
        ("Tom Aske",),
    ),
    Layout(
        "report page: each author written twice, honorifics on some",
        "Publications\n\nCities after the downturn\n\nAuthors: Ann Price Ann Price Dr Omar"
        " Khan Omar Khan Prof Jo Bell Jo Bell\n\n3rd October 2011\n\n" + BODY,
        "Cities after the downturn",
        "2011-10-03",
        ("Ann Price", "Dr Omar Khan", "Prof Jo Bell"),
    ),
    Layout(
        "report page: an empty Authors label, then a name and job title a line",
        "Home > Publications\n\nDigital clusters: where next?\n\nAuthors:\n"
        "Sam Reid, Senior Economist\nLucy Hart, Researcher\n\nFriday 14 June 2013\n\n" + BODY,
        "Digital clusters: where next?",
        "2013-06-14",
        ("Sam Reid", "Lucy Hart"),
    ),
    Layout(
        "press release: two co-authors named in the text, outside voices and a press officer",
        f"{PROMPT}\n\nPRESS RELEASE\n\nOne in ten workers wants more hours\n\n"
        "Monday 13 August 2012\n\nUnderemployment has doubled, according to a report"
        " published today by The Work Foundation.\n\n“The headline rate hides the"
        " problem,” said Dr Amy Lowe, Associate Director and the report's lead author.\n\n"
        "Ben Stone, Chief Economist and the paper’s other author, said: “Hours matter.”\n\n"
        "Commenting on the report, Dame Ruth Hale, an adviser on health and work, said:"
        " “An important study.”\n\nNotes to Editors\n\nMedia enquiries: Kim Ford,"
        " 020 7946 0099",
        "One in ten workers wants more hours",
        "2012-08-13",
        ("Dr Amy Lowe", "Ben Stone"),
    ),
    Layout(
        "press release: 'author of the report, Name' and 'Report author Name is available'",
        "Cities need control of skills money\n\n20 May 2013\n\nCities should run their own"
        " skills budgets, according to research published today.\n\nAuthor of the report,"
        " Mia Cole, Researcher at The Work Foundation, said: “Local employers know best.”"
        "\n\nNotes to Editors\n\n• Report author Mia Cole is available for interview.",
        "Cities need control of skills money",
        "2013-05-20",
        ("Mia Cole",),
    ),
    Layout(
        "press release: an embargo line above the title, authors listed with their posts",
        "EMBARGOED UNTIL 00:01 MONDAY 4 MARCH 2013\n\nMost firms ignore older workers\n\n"
        "4 March 2013\n\nFew employers plan for an ageing workforce, according to a report"
        " published today.\n\nThe report, Working longer: what firms must do, was written by"
        " Professor Ann Reid, Director of the Centre for Workplace Health at The Work"
        " Foundation, and Lee Dunn, Senior Researcher.\n\n“Firms are not ready,” said Lee Dunn.",
        "Most firms ignore older workers",
        "2013-03-04",
        ("Professor Ann Reid", "Lee Dunn"),
    ),
    Layout(
        "press release: authors only as 'co-authored by X and Dr Y'",
        "Small firms and the recovery\n\nTue 9 Oct 2012\n\nSmall firms are hiring again,"
        " according to research published today.\n\nThe report, Growing pains, co-authored"
        " by Eve Marsh and Dr Carl Penn, finds that hiring rose fastest in the North.\n\n"
        "Carl Penn, Economist and co-author of the report, added: “It is a start.”\n\nENDS",
        "Small firms and the recovery",
        "2012-10-09",
        ("Eve Marsh", "Dr Carl Penn"),
    ),
    Layout(
        "report page: a series line under the title, Author(s) split by bars",
        "Home > Publications\n\nWorking in the knowledge economy\n\nA Knowledge Economy"
        " Programme Report\n\nAuthor(s): Ruth Gale | Dr Sam Ives\n\nPublished: 02 Mar 2009"
        "\n\n" + BODY,
        "Working in the knowledge economy",
        "2009-03-02",
        ("Ruth Gale", "Dr Sam Ives"),
    ),
    Layout(
        "report page: an Authors label alone, a name and a job title a line",
        "Publications\n\nLong-term conditions at work\n\nDate: 11.06.2014\n\nAuthors\n"
        "Joan Hill\nSenior Researcher\nDr Paul Vine\nResearcher\n\nSummary\n\n" + BODY,
        "Long-term conditions at work",
        "2014-06-11",
        ("Joan Hill", "Dr Paul Vine"),
    ),
    Layout(
        "older blog: 'Posted on DATE by NAME' under the title, tags and dated comments",
        "Home | About Us | Blog\n\nThe Work Foundation Blog\n\nRay Cole\nAssociate Director"
        "\n\nThe trouble with targets\n\nPosted on 18 June 2008 by Ray Cole\n\n"
        "Filed under: Good Work, Management\n\n" + BODY + "\n\nComments (1)\n\n"
        "Posted by Jo Dean on 19 June 2008",
        "The trouble with targets",
        "2008-06-18",
        ("Ray Cole",),
    ),
    Layout(
        "event page: 'When:' with the day's name and a time, then venue and cost",
        "Events > Webinars\n\nWebinar: skills in the recovery\n\nWhen: Thursday 5 December"
        " 2013, 12:30–13:30 GMT\nWhere: Online\nCost: Free\n\n" + BODY,
        "Webinar: skills in the recovery",
        "2013-12-05",
        (),
    ),
    Layout(
        "news item: a date with a clock time, staff named in the text",
        "Home » News\n\nNew unit on health at work\n\nWed, 24/04/2013 - 11:15\n\nThe"
        " Foundation today launched a unit on health at work. It will be led by Dr Jane"
        " Orr, with a team including Max Reed.\n\nTags: health, policy",
        "New unit on health at work",
        "2013-04-24",
        (),
    ),
    Layout(
        "event page: the report's authors present it, but the page is not a press release",
        "Events\n\nReport launch: skills after school\n\nTuesday 19 March 2013\n\n9.00am –"
        " 10.30am\n\nJoin us for the launch of our new report on school leavers.\n\nThe"
        " report's authors, Nina Holt and Omar Said, will present its findings.",
        "Report launch: skills after school",
        "2013-03-19",
        (),
    ),
    Layout(
        "blog: 'Name | date' under the title, a tagline that is not a name",
        "The Foundation Blog\nWork. Life. Economy.\nHome | About | Blog\n\nWhat a growth Budget"
        " needs\nAmy Ross | March 7, 2011\nTags: Budget, Growth\n\n" + BODY,
        "What a growth Budget needs",
        "2011-03-07",
        ("Amy Ross",),
    ),
    Layout(
        "report page: type, date and authors on one line split by bars",
        "Home > Publications\n\nLine managers and engagement\n\nResearch report | 28 November"
        " 2011 | Kim Vale and Professor Rob Lane\n\n" + BODY,
        "Line managers and engagement",
        "2011-11-28",
        ("Kim Vale", "Professor Rob Lane"),
    ),
    Layout(
        "report page: 'By X, post, with Y and Z'; 'Written by' with an organisation in brackets",
        "Publications\n\nSkills after the recession\nBy Ian Dale, Chief Economist, with Eva Moss"
        " and Tom Hart\n22/05/2013\n\n" + BODY,
        "Skills after the recession",
        "2013-05-22",
        ("Ian Dale", "Eva Moss", "Tom Hart"),
    ),
    Layout(
        "guest post: 'by Dr X, Senior Lecturer in Human Resource Management, University of Y'",
        "GUEST BLOG\nThe levy and small firms\nby Dr Jo Lake, Senior Lecturer in Human Resource"
        " Management, University of Leeds\nPublished on 24 February 2016\nPrint | Email | Share"
        "\n\n" + BODY,
        "The levy and small firms",
        "2016-02-24",
        ("Dr Jo Lake",),
    ),
    Layout(
        "news item: a section label, the date, then the headline",
        f"{COOKIES}\n\nLatest news\nThursday, 12 July 2012\nFoundation gives evidence to Lords"
        " committee\n\n" + BODY,
        "Foundation gives evidence to Lords committee",
        "2012-07-12",
        (),
    ),
    Layout(
        "press release: the site's name far above, the date, then the headline; a dateline",
        "Skip to content\nThe Work Foundation\nHome\nAbout us\nPartnership\nYou are here: Home >"
        " Media centre\nDate: 12/05/2009\nDo not let the recession wreck good work\nPrint this"
        " page | Email this page\n\n" + BODY + "\n\nNotes to Editors\n\n1. Good work in hard"
        " times, by Ann Cole and Jim Kerr, is published today.",
        "Do not let the recession wreck good work",
        "2009-05-12",
        ("Ann Cole", "Jim Kerr"),
    ),
    Layout(
        "press release: the date only in a dateline opening the text",
        "Media centre\nCreative boom leaves most cities behind\nLONDON, 26th June 2014 – The"
        " creative industries are growing fast, but most cities are missing out, a report"
        " published today finds.\n\nJon Wray, co-author of the report, said: “Few gain.”\n\nENDS",
        "Creative boom leaves most cities behind",
        "2014-06-26",
        ("Jon Wray",),
    ),
    Layout(
        "blog: the author block below the title and date",
        "Blog\nDigital skills: the gap nobody measures\n15/10/2014\nCarl Lowe\nSenior Economist\n"
        "T 020 7946 0017\nCarl Lowe\nJen Wade\nResearcher\nJen Wade\n\n" + BODY,
        "Digital skills: the gap nobody measures",
        "2014-10-15",
        ("Carl Lowe", "Jen Wade"),
    ),
    Layout(
        "people page: a social link in the card, dated 'Published:' lines in its list",
        "Home > About us > Our people\n« Back to our people\nEli Ward\nSenior Economist\n"
        "Twitter @EliWard_WF\nEli Ward\n\n" + BODY + "\n\nRecent work\nCities and growth\n"
        "Published: 03/06/2015",
        "Eli Ward",
        None,
        (),
    ),
    Layout(
        "report page: the site's name above, the authors' names alone under the title",
        "The Work Foundation\n[Home] [Publications]\nFear at work? Job insecurity today\nIan Dale"
        " and Sue Platt\nPublished: 23/05/2007\nPages: 64\n\n" + BODY + "\n\nThe research was"
        " supported by the Higher Education Funding Council for England.",
        "Fear at work? Job insecurity today",
        "2007-05-23",
        ("Ian Dale", "Sue Platt"),
    ),
    Layout(
        "press release: 'For immediate release' and 'Date published:' above the headline",
        "For immediate release\nDate published: 03 Sep 2014\nLow pay traps a generation\n\n"
        + BODY
        + "\n\nNotes to Editors\n\n1. The report was written by Rob Kay and Dr Lin Hu.",
        "Low pay traps a generation",
        "2014-09-03",
        ("Rob Kay", "Dr Lin Hu"),
    ),
    Layout(
        "people page: 'Name, post' on one line, a programme line, a direct line",
        "THE FOUNDATION\nAbout us > Staff\nOwen Tate, Senior Researcher\nKnowledge Economy"
        " Programme\nDirect line: 020 7946 0039\nEmail: otate@example.org\n\n" + BODY,
        "Owen Tate",
        None,
        (),
    ),
    Layout(
        "event page: the event's date, not the day it was posted",
        "Events > Past events\nPAST EVENT\nCan cities deliver on skills?\nPosted: 12 September"
        " 2014\nEvent date: 9th October 2014\n\n" + BODY,
        "Can cities deliver on skills?",
        "2014-10-09",
        (),
    ),
    Layout(
        "blog: a 'Latest blogs' box with dated items before the post, a name under the title",
        "HOMEABOUT USBLOG\nLatest blogs\nWhy growth deals need skills money\nAnn Lo\n1 November"
        " 2012\nThe low pay trap\nRay Hind\n29 October 2012\nBlog\nThe productivity puzzle is"
        " real\nIan Dale\nMonday 5 November 2012\n\n" + BODY,
        "The productivity puzzle is real",
        "2012-11-05",
        ("Ian Dale",),
    ),
    Layout(
        "report page: a name under the title, a foreword line, then the date",
        "Publications\nAnchors of growth? Universities and local economies\nDr Cal Levy and Ann"
        " Sim\nWith a foreword by Professor Sir Alan Wood, Vice-Chancellor\n13 April 2011\n\n"
        + BODY,
        "Anchors of growth? Universities and local economies",
        "2011-04-13",
        ("Dr Cal Levy", "Ann Sim"),
    ),
    Layout(
        "guest post: 'Guest post by Dr X, post, university'",
        "Blog > Health\nReturning to work after cancer\nGuest post by Dr Helen Moss, Senior"
        " Lecturer in Occupational Health, University of Leeds\nDecember 9, 2013\n\n" + BODY,
        "Returning to work after cancer",
        "2013-12-09",
        ("Dr Helen Moss",),
    ),
    Layout(
        "press release: authors only in the notes, the fullest list giving their order",
        "Knowledge economy can lead the recovery\n24 March 2011\n\nKnowledge industries"
        " created most new jobs, according to a report published today.\n\n“It is most of"
        " the economy,” said Will Ash, one of the report’s authors.\n\nNotes to Editors\n\n"
        "1. The knowledge economy and the recovery, by Ian Dale, Will Ash and Cal Levy, is"
        " published today.\n2. Professor Jo Bell and Dr Tim Tay, authors of the companion"
        " paper, are available for interview.\n3. Cities at work by Sam Reid is published"
        " today.",
        "Knowledge economy can lead the recovery",
        "2011-03-24",
        ("Ian Dale", "Will Ash", "Cal Levy", "Professor Jo Bell", "Dr Tim Tay", "Sam Reid"),
    ),
    Layout(
        "guest blog: 'DATE by Dr X' under the title",
        "Home / Blog\nGUEST BLOG\nWhy employers cannot ignore back pain\nJuly 9, 2015 by Dr Ann"
        " Marsh\nFiled under: Health\n\n" + BODY,
        "Why employers cannot ignore back pain",
        "2015-07-09",
        ("Dr Ann Marsh",),
    ),
    Layout(
        "report page: the authors' names under the date",
        "Research programmes > Cities\nIDEOPOLIS SERIES\nKnowledge cities – a Leeds case study"
        "\n27/09/2007\nAmy Jones, Ned Clay and Ian Dale\n\n" + BODY,
        "Knowledge cities – a Leeds case study",
        "2007-09-27",
        ("Amy Jones", "Ned Clay", "Ian Dale"),
    ),
    Layout(
        "report page: labelled fields (Title:, Date:, Author(s):, Programme:) then the headline",
        "Publications\nTitle: Staying ahead? Creative industries outside London\nDate: 21.02.2008"
        "\nAuthor(s): Ian Dale, Jo Wray, Dr Rae Ford\nProgramme: Knowledge Economy\nType:"
        " Research report\nStaying ahead? Creative industries outside London\n\n" + BODY,
        "Staying ahead? Creative industries outside London",
        "2008-02-21",
        ("Ian Dale", "Jo Wray", "Dr Rae Ford"),
    ),
    Layout(
        "press release: section labels with a year, a dateline in ordinary case",
        "Press room\nPress releases 2008\nRecession threatens older workers\nLondon, 22 October"
        " 2008 – Workers over the age of 50 face a growing risk of being forced out of work,"
        " according to new analysis.\n\nNotes to Editors\n\n1. The analysis was carried out by"
        " the Foundation's research team.",
        "Recession threatens older workers",
        "2008-10-22",
        (),
    ),
    Layout(
        "event page: the date, time and venue, then a 'Posted ... | Event type' line",
        "Events / Conferences\nCONFERENCE\nFit for Work: the annual summit\nTuesday 10th March 2015"
        "\n09:00 – 17:00\nResidence Palace, Brussels\nPosted 14 January 2015 | Event type:"
        " Conference\nRegister now\n\n" + BODY,
        "Fit for Work: the annual summit",
        "2015-03-10",
        (),
    ),
    Layout(
        "people page: by-lines of the person's publications are not the page's authors",
        "Our people\nDr Zoe Bale\nResearcher\nT 020 7946 0041\nDr Zoe Bale\n\n"
        + BODY
        + "\n\nRecent publications\nFit for work?\nAuthors: Dr Zoe Bale Zoe Bale Kim Stead Kim"
        " Stead\n12 May 2013",
        "Dr Zoe Bale",
        None,
        (),
    ),
    Layout(
        "press release: a release date and an embargo line above the headline, past a menu",
        "Home > Media\nPress releases\nMedia coverage\nPhoto library\nPress release\nRelease"
        " date: 15/11/2006\nEMBARGO: 00.01 hrs WEDNESDAY 15 NOVEMBER 2006\nKnowledge workers now"
        " outnumber manual workers\n" + BODY + "\n\nNotes to Editors\n\n1. Knowledge matters, by"
        " Ian Dale and Sue Tor, is published today.",
        "Knowledge workers now outnumber manual workers",
        "2006-11-15",
        ("Ian Dale", "Sue Tor"),
    ),
    Layout(
        "press release: dated only by its embargo line; 'Press release – DATE' labels",
        "EMBARGOED UNTIL 00:01 MONDAY 14 JANUARY 2013\nFew firms plan for older workers\n\n"
        + BODY
        + "\n\nENDS\n\nPress release – 7th November 2012\nA previous release",
        "Few firms plan for older workers",
        "2013-01-14",
        (),
    ),
    Layout(
        "blog: 'Name | date' items in a sidebar, then the post's own, a two-digit year above",
        "Latest blogs\nThe squeezed middle\nAnn Lo | 18 June 2009\nCities and jobs\nRay Hind |"
        " 9 June 2009\nBlog\nIs meaningful work a luxury?\nSam Orr | 23 June 2009\n\n" + BODY,
        "Is meaningful work a luxury?",
        "2009-06-23",
        ("Sam Orr",),
    ),
    Layout(
        "blog: a standfirst sentence between the headline and the date",
        "Why wages have stalled\nA new report finds that real wages have fallen for five"
        " years in a row.\n5 July 2012\n\n" + BODY,
        "Why wages have stalled",
        "2012-07-05",
        (),
    ),
    Layout(
        "a site's tagline sentence above everything else",
        "The Foundation is the leading independent authority on work and its future.\nWhy"
        " wages have stalled\n5 July 2012\n\n" + BODY,
        "Why wages have stalled",
        "2012-07-05",
        (),
    ),
    Layout(
        "date first, then a headline in title case that reads like a name",
        "5 July 2012\nNorthern Powerhouse Jobs\n\n" + BODY,
        "Northern Powerhouse Jobs",
        "2012-07-05",
        (),
    ),
    Layout(
        "a title-case line under a heading is no by-line (the text uses its words); the"
        " heading nearest the date is the title",
        "The Missing Million\nRecovering Lost Jobs\n5 July 2012\n\n" + BODY + " Jobs lost in"
        " the recession are recovering slowly.",
        "Recovering Lost Jobs",
        "2012-07-05",
        (),
    ),
    Layout(
        "a short title ending in 'Report' under a menu item",
        "Our work\nGood Work Report\n5 July 2012\n\n" + BODY + " The report asks what good"
        " work is.",
        "Good Work Report",
        "2012-07-05",
        (),
    ),
    Layout(
        "event page: speakers are not authors",
        "EVENTS\n\nHome > Events\n\nGreen jobs: can cities deliver?\n\nThursday 19 July 2012"
        "\n\n09.00 – 11.00, 21 Palmer Street, London\n\nThis seminar asks whether the"
        " green economy will create jobs where they are most needed.\n\nSpeakers:\n\n"
        "Professor Ian Gough, LSE\nKatie Shaw, Policy Director\n\nBook your place",
        "Green jobs: can cities deliver?",
        "2012-07-19",
        (),
    ),
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_layout(tmp_path: Path, layout: Layout) -> None:
    path = tmp_path / "0001_a3f9.txt"  # held-out pages have names that say nothing
    path.write_text(layout.text, encoding="utf-8")
    meta = load(path).meta
    assert (meta.title, meta.date, meta.authors) == (layout.title, layout.date, layout.authors)
    assert meta.extra["title_from"] == "page layout"


@pytest.mark.parametrize("seed", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.stem)
def test_seed_without_its_sidecar_gives_the_sidecar(tmp_path: Path, seed: Path) -> None:
    truth = json.loads(seed.with_suffix(".meta.json").read_text(encoding="utf-8"))
    meta = load(Path(shutil.copy(seed, tmp_path))).meta
    assert (meta.title, meta.date, list(meta.authors)) == (
        truth["title"],
        truth["date"],
        truth["authors"],
    )


def test_the_sidecar_still_wins_and_says_so() -> None:
    meta = load(CORPUS / "local-innovation-and-freedom-2012-07-05.txt").meta
    assert {meta.extra[f"{f}_from"] for f in ("title", "date", "authors")} == {"sidecar"}


@pytest.mark.parametrize(
    ("written", "people"),
    [
        ("Dr Neil Lee Dr Neil Lee", ["Dr Neil Lee"]),
        ("Dr Neil Lee Neil Lee", ["Dr Neil Lee"]),
        ("Neil Lee Dr Neil Lee", ["Dr Neil Lee"]),
        ("Katie Schmuecker Policy", ["Katie Schmuecker"]),
        ("Director of Policy", []),
        ("The Work Foundation Stephen Overell", ["Stephen Overell"]),
        ("Stephen Overell, The Work Foundation", ["Stephen Overell"]),
        ("Lizzie Crowley Lancaster University", ["Lizzie Crowley"]),
        ("Ian Brinkley Lizzie Crowley", ["Ian Brinkley", "Lizzie Crowley"]),
        ("Prof Stephen Bevan & Dame Carol Black", ["Prof Stephen Bevan", "Dame Carol Black"]),
        ("Ian Brinkley; Ian Brinkley", ["Ian Brinkley"]),
        (
            "Lizzie Crowley Lizzie Crowley Dr Neil Lee Neil Lee",
            ["Lizzie Crowley", "Dr Neil Lee"],
        ),
        (
            "Neil Lee Dr Neil Lee Mary Anne Smith Mary Anne Smith",
            ["Dr Neil Lee", "Mary Anne Smith"],
        ),
    ],
)
def test_names_are_people_once(written: str, people: list[str]) -> None:
    assert split_names(written) == people


def test_cards_tell_names_from_job_titles() -> None:
    assert looks_like_name("Dr Neil Lee") and looks_like_name("Mary O'Brien")
    assert not looks_like_name("GET INVOLVED") and not looks_like_name("Director of Policy")
    assert is_job_title("Head of the socio-economic centre") and is_job_title("Senior Economist")
    assert not is_job_title("Cities and the recovery")


def test_html_declared_metadata_wins_over_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    ld = {
        "@type": "BlogPosting",
        "headline": "Cities and growth",
        "datePublished": "2012-07-05T09:00:00Z",
        "author": [{"name": "Dr Neil Lee"}, {"name": "Neil Lee"}, {"name": "Ian Brinkley"}],
    }
    path.write_text(
        f"""<html><head><title>Cities and growth | The Work Foundation</title>
        <meta property="og:site_name" content="The Work Foundation">
        <script type="application/ld+json">{json.dumps(ld)}</script></head>
        <body><p>GET INVOLVED</p><h1>Cities and growth</h1><p>The text.</p></body></html>""",
        encoding="utf-8",
    )
    meta = load(path).meta
    assert (meta.title, meta.date, meta.authors) == (
        "Cities and growth",
        "2012-07-05",
        ("Dr Neil Lee", "Ian Brinkley"),
    )
    assert meta.extra["title_from"] == meta.extra["authors_from"] == "html meta"


def test_html_without_metadata_falls_back_to_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><body><p>ABOUT US</p><div>Dr Neil Lee</div><div>Head of Research</div>"
        "<h2>Cities and growth</h2><p>Authors: Dr Neil Lee Dr Neil Lee</p><p>5 July 2012</p>"
        "<p>It's time to provide an update on our work.</p></body></html>",
        encoding="utf-8",
    )
    meta = load(path).meta
    assert (meta.title, meta.date, meta.authors) == (
        "Cities and growth",
        "2012-07-05",
        ("Dr Neil Lee",),
    )
    assert meta.extra["title_from"] == "page layout"


# --- PDFs written here: info dictionary good, junk or missing ------------------------------


REPORT = [
    (10, "The Work Foundation"),
    (26, "Streets Ahead: what makes"),
    (26, "a city innovative?"),
    (12, "Authors: Lizzie Crowley and Dr Neil Lee"),
    (10, "Cities outside London are at risk of being left behind by the recovery unless"),
    (10, "the government adopts a less centralised growth and innovation policy for them."),
    (10, "The strength of business and high-tech manufacturing varies from city to city."),
]
PDF_CASES = [
    pytest.param(
        {"/Title": "Streets Ahead: what makes a city innovative?", "/Author": "Crowley, Lizzie"},
        "Streets Ahead: what makes a city innovative?",
        ("Lizzie Crowley",),
        "pdf info",
        id="good-info",
    ),
    pytest.param(
        {"/Title": "Microsoft Word - draft3.doc", "/Author": "Administrator"},
        "Streets Ahead: what makes a city innovative?",
        ("Lizzie Crowley", "Dr Neil Lee"),
        "first page",
        id="junk-info",
    ),
    pytest.param(
        None,
        "Streets Ahead: what makes a city innovative?",
        ("Lizzie Crowley", "Dr Neil Lee"),
        "first page",
        id="no-info",
    ),
]


@pytest.mark.parametrize(("info", "title", "authors", "title_from"), PDF_CASES)
def test_pdf_title_and_authors(
    tmp_path: Path,
    lines_pdf: Callable[..., Path],
    info: dict[str, str] | None,
    title: str,
    authors: tuple,
    title_from: str,
) -> None:
    meta = load(lines_pdf(tmp_path / "report.pdf", REPORT, info)).meta
    assert (meta.title, meta.authors, meta.extra["title_from"]) == (title, authors, title_from)


def test_pdf_without_a_larger_font_is_not_titled_by_its_body(
    tmp_path: Path, lines_pdf: Callable[..., Path]
) -> None:
    lines = [(10, "Annual review of employment"), (10, "1 March 2013"), *REPORT[4:]]
    meta = load(lines_pdf(tmp_path / "x.pdf", lines, {"/Title": "untitled"})).meta
    assert (meta.title, meta.date) == ("Annual review of employment", "2013-03-01")


def test_a_card_spelling_with_the_honorific_wins() -> None:
    # the card prints "Professor Stephen Bevan" and then "Stephen Bevan"; either order
    for known in (
        ["Professor Stephen Bevan", "Stephen Bevan"],
        ["Stephen Bevan", "Prof Stephen Bevan"],
    ):
        spelled = known[0] if known[0] != "Stephen Bevan" else known[1]
        assert split_names("Stephen Bevan Stephen Bevan", known=known) == [spelled]
