"""Word pools the world generator draws names from. Changing them changes every seeded world."""

FIRST_NAMES = (
    "Aisha", "Alex", "Amara", "Anna", "Ben", "Bram", "Carla", "Chen", "Chloe", "Daniel", "Dara",
    "David", "Elena", "Emma", "Erik", "Fatima", "Felix", "Grace", "Hannah", "Hugo", "Ines", "Isla",
    "Jack", "James", "Jonas", "Julia", "Kai", "Karim", "Laura", "Leo", "Lena", "Liam", "Lucia",
    "Maya", "Mia", "Mohammed", "Nadia", "Niamh", "Noah", "Olivia", "Omar", "Oscar", "Priya",
    "Rafael", "Rosa", "Ruth", "Sam", "Sara", "Sean", "Sofia", "Tariq", "Theo", "Tom", "Uma",
    "Victor", "Wei", "Yusuf", "Zoe", "Zofia", "Åsa",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Adeyemi", "Bauer", "Becker", "Brennan", "Campbell", "Carter", "Chowdhury",
    "Costa", "Dubois", "Evans", "Fischer", "Flores", "Garcia", "Green", "Hall", "Hansen", "Hughes",
    "Ivanova", "Jansen", "Jones", "Kaur", "Kelly", "Khan", "Kowalski", "Larsen", "Lewis", "Lopez",
    "Martin", "Moreau", "Murphy", "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor", "Patel",
    "Peters", "Quinn", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Sørensen",
    "Taylor", "Thomas", "Walsh", "Wang", "Watson", "Weber", "White", "Williams", "Wilson",
    "Wright", "Young", "Zhang", "Ziegler", "de Vries",
)  # fmt: skip

TITLES = (
    "Marketing Manager", "Head of Sales", "Sales Director", "Operations Manager", "CTO", "CFO",
    "Office Manager", "IT Manager", "Procurement Lead", "Account Executive", "Founder",
    "Head of Marketing", "Customer Success Manager", "Finance Director", "Data Analyst",
)  # fmt: skip

ORG_WORDS = (
    "Acorn", "Apex", "Beacon", "Birch", "Bright", "Cedar", "Cobalt", "Crest", "Delta", "Ember",
    "Falcon", "Harbour", "Harvest", "Juniper", "Keystone", "Lumen", "Maple", "Meridian",
    "Northwind", "Oak", "Orbit", "Pioneer", "Quarry", "Riverside", "Sage", "Summit", "Thistle",
    "Vantage", "Willow", "Zenith",
)  # fmt: skip

ORG_KINDS = (
    "Analytics", "Consulting", "Foods", "Health", "Logistics", "Media", "Partners", "Robotics",
    "Software", "Systems", "Textiles", "Travel",
)  # fmt: skip

ORG_SUFFIXES = ("Ltd", "plc", "LLP", "Group", "GmbH", "BV", "Inc")

INDUSTRIES = (
    "Software", "Manufacturing", "Retail", "Healthcare", "Financial Services", "Education",
    "Media & Entertainment", "Logistics", "Food", "Professional Services",
)  # fmt: skip

TOWNS = (
    ("Reading", "United Kingdom"), ("Oxford", "United Kingdom"), ("Manchester", "United Kingdom"),
    ("Leeds", "United Kingdom"), ("Dublin", "Ireland"), ("Amsterdam", "Netherlands"),
    ("Berlin", "Germany"), ("Lyon", "France"), ("Boston", "United States"),
)  # fmt: skip

FREE_MAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com")

SEQUENCE_THEMES = (
    "Outbound SaaS", "Event follow-up", "Webinar attendees", "Renewal nudge", "Trial users",
    "Partner intro", "Re-engagement", "Enterprise ABM", "Inbound demo request", "Product launch",
)  # fmt: skip

STEP_TYPES = ("auto_email", "manual_email", "call", "task")
STEP_TYPE_WEIGHTS = (55, 15, 15, 15)
