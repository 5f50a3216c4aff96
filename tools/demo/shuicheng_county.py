"""The Shuicheng demo county's vocabulary: sizes, place and person names, work areas,
finding categories, fund sources, and the seeded name and hour draws."""

import random

SIZES = {
    # townships, villages per township, households per village, cadres per village
    "demo": (20, 10, 250, 10),
    "small": (4, 5, 40, 5),
    "tiny": (2, 2, 12, 3),
}
# The county's third-party exit assessment: villages sampled, then households per sampled
# village that exited, are still registered, and were never registered. Tiny takes every
# exited and never-registered household, so its planted wrongful exits and missed
# households are always found.
ASSESSMENT_SAMPLE = {
    "demo": (20, 15, 5, 10),
    "small": (8, 8, 3, 5),
    "tiny": (4, 30, 2, 30),
}

TOWNSHIPS = ["Dongdi", "Shuangshui", "Laoyingshan", "Bide", "Aga", "Panlong", "Douqing", "Huajia",
             "Yangmei", "Xinjie", "Shunchang", "Faer", "Baohua", "Huale", "Mugang", "Yushe", "Shaomi",
             "Miluo", "Yezhong", "Jinpen"]
VILLAGE_WORDS = ["Gao", "Shui", "Tang", "Yu", "Hong", "Qing", "Shi", "Ma", "Long", "Zhu", "Lin", "He", "Shan",
                 "Ping", "Xin", "Dong", "Nan", "Bei", "Xi", "Zhong"]
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Ma",
            "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Long", "Yu", "Wei", "Tao"]
GIVEN = ["Wei", "Fang", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao",
         "Ming", "Chao", "Xia", "Ping", "Gang", "Hua", "Hong", "Fei", "Bin", "Ling", "Kun"]
SECTORS = ["HOUSING_SAFETY", "DRINKING_WATER", "SCHOOL_DROPOUT_PREVENTION", "MEDICAL_CARE",
           "RURAL_LIVING_ENVIRONMENT", "ENVIRONMENTAL_REMEDIATION", "RELOCATION", "RURAL_ROADS",
           "INDUSTRY_SUPPORT", "BASIC_INFORMATION"]
TASK_TITLES = {
    "HOUSING_SAFETY": "Renovate dilapidated houses",
    "DRINKING_WATER": "Connect piped drinking water",
    "SCHOOL_DROPOUT_PREVENTION": "Return dropouts to compulsory school",
    "MEDICAL_CARE": "Enrol households in rural medical insurance",
    "RURAL_LIVING_ENVIRONMENT": "Clean up the village living environment",
    "ENVIRONMENTAL_REMEDIATION": "Remediate the slope and river banks",
    "RELOCATION": "Move households to the relocation site",
    "RURAL_ROADS": "Harden the road to the village group",
    "INDUSTRY_SUPPORT": "Set up the kiwifruit cooperative",
    "BASIC_INFORMATION": "Correct the household registry data",
}
# The areas the symposium found lagging worst: their tasks are rarely verified.
LAGGING = {"HOUSING_SAFETY", "DRINKING_WATER", "RELOCATION", "RURAL_ROADS"}
# The problems the symposium named, as finding categories.
CATEGORIES = ["PERSONNEL_NOT_SENSITIZED", "WEAK_ADMINISTRATION", "TASKS_NOT_CLEARLY_ASSIGNED",
              "PROBLEMS_NOT_SPECIFIED", "POOR_COMMUNICATION", "INACCURATE_BASIC_DATA",
              "CADRES_NOT_DOWN_TO_EARTH", "EXCESSIVE_WORKLOAD", "UNFINISHED_AGENDA", "SLOW_PROGRESS",
              "LACK_OF_ORDER", "SECTOR_LAGGING", "ABSENCE_FROM_POST"]
SOURCES = [("CENTRAL", "Central special poverty-alleviation fund", 60), ("PROVINCIAL", "Guizhou provincial fund", 20),
           ("MUNICIPAL", "Liupanshui municipal fund", 8), ("COUNTY", "Shuicheng county fund", 7),
           ("COUNTERPART_AID", "East-west counterpart aid (Dalian)", 5)]
GROUP_KINDS = ["UNANNOUNCED_VISIT", "UNANNOUNCED_VISIT", "RANDOM_HOUSEHOLD_SURVEY", "UNANNOUNCED_VISIT",
               "RANDOM_HOUSEHOLD_SURVEY", "UNANNOUNCED_VISIT"]


def rng_name(seed, *key):
    r = random.Random(f"{seed}-{key}")
    return f"{r.choice(SURNAMES)} {r.choice(GIVEN)}{r.choice(GIVEN).lower()}"


def rng_hours(seed, *key):
    return random.Random(f"{seed}-{key}").randint(0, 10)
