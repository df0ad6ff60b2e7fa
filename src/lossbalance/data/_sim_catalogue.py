# ruff: noqa: E501
"""The reference simulator's code catalogue: ICD-10-CM codes, ICD-9-CM equivalents, clusters.

The catalogue is written as a compact family table (:data:`CATALOGUE_TEXT`) and expanded
programmatically. Each line names one code family::

    <ICD-10-CM> <ICD-9-CM or -> [w=<weight>] [age=<lo>-<hi>] [sex=F|M] | <description>

Braces expand a family: ``E11.{9,65}`` gives ``E11.9`` and ``E11.65``; ``{08..42}`` is a
zero-padded numeric range. Brace groups of the ICD-10 field multiply (laterality x stage);
each brace group of the ICD-9 field and of the description runs in step with one group
of the ICD-10 field (the n-th group with the n-th, or ``{k:...}`` with group ``k``).
Items are separated by ``;`` when a group holds one, else by ``,``. ``-`` as the ICD-9
code means the code has no ICD-9-CM equivalent (ICD-10-CM's NIHSS scores and weeks of
gestation) and is left out of ICD-9 cohorts.

A line ``@<cluster> <chronic|episode|general> [age=..] [sex=..]`` starts a cluster and
sets the default age band (whole years, inclusive) and sex of its codes. *Chronic*
clusters are conditions a patient carries from visit to visit (cardiometabolic, renal,
oncology ...), *episode* clusters are the reason for one visit (sepsis, a fracture, a
delivery, a birth ...), *general* clusters hold symptoms and status codes any visit may
add. A code may sit in several clusters (with one ICD-9 equivalent and description).

Every age band and sex written here is the clinical population the code is simulated
for; tests check that it lies inside what :func:`lossbalance.clinical.default_rules`
allows for the code and its ICD-9-CM equivalent, and that every code is a real ICD-10-CM
(FY2020) / ICD-9-CM (v32) code. Descriptions are short paraphrases written for this
package. Code sets: CMS/NCHS ICD-10-CM and ICD-9-CM (US public domain).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy as np
import numpy.typing as npt

CLUSTER_KINDS: tuple[str, ...] = ("chronic", "episode", "general")

_GROUP = re.compile(r"\{(?:(\d+):)?([^{}]*)\}")


@dataclass(frozen=True)
class Catalogue:
    """The expanded catalogue: one row per (code, cluster).

    Attributes:
        icd10: ICD-10-CM code without dot, per row.
        icd9: ICD-9-CM equivalent without dot (``""`` when there is none), per row.
        description: short description of the ICD-10-CM code, per row.
        cluster: index into :attr:`clusters`, per row.
        weight: relative frequency of the row within its cluster (> 0).
        age_lo: youngest whole age the row is simulated for.
        age_hi: oldest whole age the row is simulated for.
        sex: ``-1`` for both sexes, else the only sex (0 = F, 1 = M).
        clusters: cluster names.
        cluster_kind: index into :data:`CLUSTER_KINDS`, per cluster.
    """

    icd10: npt.NDArray[np.str_]
    icd9: npt.NDArray[np.str_]
    description: npt.NDArray[np.str_]
    cluster: npt.NDArray[np.int64]
    weight: npt.NDArray[np.float64]
    age_lo: npt.NDArray[np.int64]
    age_hi: npt.NDArray[np.int64]
    sex: npt.NDArray[np.int64]
    clusters: tuple[str, ...]
    cluster_kind: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.icd10)


def _items(body: str) -> list[str]:
    parts = body.split(";") if ";" in body else body.split(",")
    if len(parts) == 1 and ".." in parts[0]:
        lo, hi = parts[0].split("..")
        width = len(lo)
        return [str(i).zfill(width) for i in range(int(lo), int(hi) + 1)]
    return parts


def _groups(field: str) -> list[tuple[int | None, list[str], tuple[int, int]]]:
    return [
        (int(m.group(1)) if m.group(1) else None, _items(m.group(2)), m.span())
        for m in _GROUP.finditer(field)
    ]


def _fill(field: str, choice: tuple[int, ...], sizes: list[int], where: str) -> str:
    """Substitute the brace groups of ``field`` for the code-group choice ``choice``."""
    out, last = [], 0
    for n, (index, items, (start, end)) in enumerate(_groups(field)):
        k = (index or n + 1) - 1
        if k >= len(sizes) or len(items) != sizes[k]:
            raise ValueError(f"catalogue: {where}: group {n + 1} does not match a code group")
        out.append(field[last:start])
        out.append(items[choice[k]])
        last = end
    out.append(field[last:])
    return "".join(out)


def _parse_opts(tokens: list[str], where: str) -> dict[str, str]:
    opts = {}
    for tok in tokens:
        key, sep, value = tok.partition("=")
        if not sep or key not in {"w", "age", "sex"}:
            raise ValueError(f"catalogue: {where}: bad option {tok!r}")
        opts[key] = value
    return opts


def _band(value: str) -> tuple[int, int]:
    lo, _, hi = value.partition("-")
    return int(lo), int(hi)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """Expand :data:`CATALOGUE_TEXT` (cached)."""
    rows: list[tuple[str, str, str, int, float, int, int, int]] = []
    clusters: list[str] = []
    kinds: list[int] = []
    band, sex = (0, 124), -1
    for lineno, raw in enumerate(CATALOGUE_TEXT.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        where = f"line {lineno}"
        if line.startswith("@"):
            name, kind, *rest = line[1:].split()
            opts = _parse_opts(rest, where)
            clusters.append(name)
            kinds.append(CLUSTER_KINDS.index(kind))
            band = _band(opts.get("age", "0-124"))
            sex = {"F": 0, "M": 1}.get(opts.get("sex", "*"), -1)
            continue
        left, _, desc = line.partition("|")
        code10, code9, *rest = left.split()
        opts = _parse_opts(rest, where)
        lo, hi = _band(opts["age"]) if "age" in opts else band
        row_sex = {"F": 0, "M": 1}[opts["sex"]] if "sex" in opts else sex
        sizes = [len(items) for _, items, _ in _groups(code10)]
        choices = list(product(*(range(s) for s in sizes)))
        weight = float(opts.get("w", "1")) / len(choices)
        for choice in choices:
            c10 = _fill(code10, choice, sizes, where).replace(".", "")
            c9 = _fill(code9, choice, sizes, where).replace(".", "")
            text = _fill(desc.strip(), choice, sizes, where)
            rows.append(
                (c10, "" if c9 == "-" else c9, text, len(clusters) - 1, weight, lo, hi, row_sex)
            )
    # A fixed, seeded jitter spreads the weights of a family's members (heavier tail).
    jitter = np.clip(np.random.default_rng(20240601).lognormal(0.0, 1.1, len(rows)), 0.05, 3.0)
    cols = list(zip(*rows, strict=True))
    return Catalogue(
        icd10=np.array(cols[0], dtype=np.str_),
        icd9=np.array(cols[1], dtype=np.str_),
        description=np.array(cols[2], dtype=np.str_),
        cluster=np.array(cols[3], dtype=np.int64),
        weight=np.array(cols[4], dtype=np.float64) * jitter,
        age_lo=np.array(cols[5], dtype=np.int64),
        age_hi=np.array(cols[6], dtype=np.int64),
        sex=np.array(cols[7], dtype=np.int64),
        clusters=tuple(clusters),
        cluster_kind=np.array(kinds, dtype=np.int64),
    )


@lru_cache(maxsize=1)
def catalogue_descriptions() -> dict[tuple[int, int, str], str]:
    """``(system index, kind index, code) -> description`` for every catalogue code.

    ICD-9-CM codes get the description of the first ICD-10-CM code that maps to them.
    """
    cat = load_catalogue()
    out: dict[tuple[int, int, str], str] = {}
    for c10, c9, text in zip(
        cat.icd10.tolist(), cat.icd9.tolist(), cat.description.tolist(), strict=True
    ):
        out.setdefault((1, 0, c10), text)
        if c9:
            out.setdefault((0, 0, c9), text)
    return out


CATALOGUE_TEXT = r"""
# =====================================================================================
# Chronic clusters: a patient carries them across visits.
# =====================================================================================
@cardiometabolic chronic age=18-124
I10         401.9   w=60 | Essential (primary) hypertension
E78.5       272.4   w=22 | Hyperlipidemia, unspecified
E78.00      272.0   w=6  | Pure hypercholesterolemia, unspecified
E78.1       272.1   w=2  | Pure hyperglyceridemia
E78.2       272.2   w=3  | Mixed hyperlipidemia
E11.9       250.00  w=14 | Type 2 diabetes mellitus without complications
E11.65      250.80  w=5  | Type 2 diabetes mellitus with hyperglycemia
E11.22      250.40  w=5  | Type 2 diabetes mellitus with diabetic chronic kidney disease
E11.21      250.40  w=1  | Type 2 diabetes mellitus with diabetic nephropathy
E11.40      250.60  w=2  | Type 2 diabetes mellitus with diabetic neuropathy, unspecified
E11.42      250.60  w=3  | Type 2 diabetes mellitus with diabetic polyneuropathy
E11.319     250.50  w=1  | Type 2 diabetes mellitus with unspecified diabetic retinopathy without macular edema
E11.51      250.70  w=1  | Type 2 diabetes mellitus with diabetic peripheral angiopathy without gangrene
E11.52      250.70       | Type 2 diabetes mellitus with diabetic peripheral angiopathy with gangrene
E11.621     250.80       | Type 2 diabetes mellitus with foot ulcer
E11.649     250.80  w=1  | Type 2 diabetes mellitus with hypoglycemia without coma
E11.69      250.80       | Type 2 diabetes mellitus with other specified complication
E11.8       250.90       | Type 2 diabetes mellitus with unspecified complications
E11.00      250.20       | Type 2 diabetes mellitus with hyperosmolarity without coma
E11.10      250.10       | Type 2 diabetes mellitus with ketoacidosis without coma
E13.9       249.00       | Other specified diabetes mellitus without complications
E66.9       278.00  w=5  | Obesity, unspecified
E66.01      278.01  w=4  | Morbid (severe) obesity due to excess calories
E66.3       278.02       | Overweight
Z68.3{0..9} V85.3{0..9} | Body mass index [BMI] 3{1:0..9}.0-3{1:0..9}.9, adult
Z68.4{1,2,3,4,5} V85.4{1,2,3,4,5} w=2 | Body mass index [BMI] {40.0-44.9,45.0-49.9,50.0-59.9,60.0-69.9,70 or greater}, adult
Z68.2{5,6,7,8,9} V85.2{1,2,3,4,5} | Body mass index [BMI] 2{1:5..9}.0-2{1:5..9}.9, adult
I25.10      414.01  w=16 | Atherosclerotic heart disease of native coronary artery without angina pectoris
I25.110     414.01       | Atherosclerotic heart disease of native coronary artery with unstable angina pectoris
I25.119     414.01       | Atherosclerotic heart disease of native coronary artery with unspecified angina pectoris
I25.2       412     w=5  | Old myocardial infarction
I25.5       414.8   w=2  | Ischemic cardiomyopathy
I25.810     414.02  w=1  | Atherosclerosis of coronary artery bypass graft(s) without angina pectoris
I20.9       413.9        | Angina pectoris, unspecified
I48.0       427.31  w=4  | Paroxysmal atrial fibrillation
I48.19      427.31  w=1  | Other persistent atrial fibrillation
I48.20      427.31  w=2  | Chronic atrial fibrillation, unspecified
I48.91      427.31  w=8  | Unspecified atrial fibrillation
I48.92      427.32  w=1  | Unspecified atrial flutter
I50.{20,22} 428.{20,22} w=3 | {Unspecified,Chronic} systolic (congestive) heart failure
I50.{30,32} 428.{30,32} w=3 | {Unspecified,Chronic} diastolic (congestive) heart failure
I50.{40,42} 428.{40,42} w=1 | {Unspecified,Chronic} combined systolic and diastolic heart failure
I50.9       428.0   w=5  | Heart failure, unspecified
I11.0       402.91  w=2  | Hypertensive heart disease with heart failure
I11.9       402.90       | Hypertensive heart disease without heart failure
I13.0       404.91  w=3  | Hypertensive heart and chronic kidney disease with heart failure and stage 1-4 CKD
I13.10      404.90       | Hypertensive heart and chronic kidney disease without heart failure, stage 1-4 CKD
I42.0       425.4   w=1  | Dilated cardiomyopathy
I42.9       425.4        | Cardiomyopathy, unspecified
I35.0       424.1   w=1  | Nonrheumatic aortic (valve) stenosis
I34.0       424.0   w=1  | Nonrheumatic mitral (valve) insufficiency
I27.20      416.8        | Pulmonary hypertension, unspecified
I70.0       440.0        | Atherosclerosis of aorta
I70.21{1,2,3} 440.21    | Atherosclerosis of native arteries of extremities with intermittent claudication, {right leg,left leg,bilateral legs}
I73.9       443.9   w=1  | Peripheral vascular disease, unspecified
I71.4       441.4        | Abdominal aortic aneurysm, without rupture
I47.1       427.0        | Supraventricular tachycardia
I49.5       427.81       | Sick sinus syndrome
I44.2       426.0        | Atrioventricular block, complete
I44.7       426.3        | Left bundle-branch block, unspecified
I45.10      426.4        | Unspecified right bundle-branch block
I49.9       427.9        | Cardiac arrhythmia, unspecified
Z95.1       V45.81  w=2  | Presence of aortocoronary bypass graft
Z95.5       V45.82  w=2  | Presence of coronary angioplasty implant and graft
Z95.0       V45.01  w=1  | Presence of cardiac pacemaker
Z95.810     V45.02       | Presence of automatic (implantable) cardiac defibrillator
Z95.2       V43.3        | Presence of prosthetic heart valve
Z79.01      V58.61  w=5  | Long term (current) use of anticoagulants
Z79.4       V58.67  w=4  | Long term (current) use of insulin
Z79.84      V58.69  w=2  | Long term (current) use of oral hypoglycemic drugs
Z79.82      V58.66  w=4  | Long term (current) use of aspirin
Z79.02      V58.63  w=1  | Long term (current) use of antithrombotics/antiplatelets
Z82.49      V17.49       | Family history of ischemic heart disease and other diseases of the circulatory system
Z86.73      V12.54  w=2  | Personal history of TIA and cerebral infarction without residual deficits

@renal chronic age=18-124
N18.{1,2,3,4,5} 585.{1,2,3,4,5} w=8 | Chronic kidney disease, stage {1,2,3 (moderate),4 (severe),5}
N18.6       585.6   w=5  | End stage renal disease
N18.9       585.9   w=5  | Chronic kidney disease, unspecified
I12.9       403.90  w=5  | Hypertensive chronic kidney disease with stage 1 through stage 4 chronic kidney disease
I12.0       403.91  w=3  | Hypertensive chronic kidney disease with stage 5 chronic kidney disease or end stage renal disease
Z99.2       V45.11  w=3  | Dependence on renal dialysis
N25.81      588.81  w=2  | Secondary hyperparathyroidism of renal origin
D63.1       285.21  w=3  | Anemia in chronic kidney disease
Z94.0       V42.0   w=1  | Kidney transplant status
T86.1{0,1,2,3,9} 996.81 | Kidney transplant {complication unspecified,rejection,failure,infection,other complication}
Z91.15      V45.12       | Patient's noncompliance with renal dialysis
N28.9       593.9        | Disorder of kidney and ureter, unspecified
N13.30      591          | Unspecified hydronephrosis
N20.0       592.0   w=1  | Calculus of kidney
N20.1       592.1        | Calculus of ureter
N28.1       593.2        | Cyst of kidney, acquired
Q61.3       753.12       | Polycystic kidney, unspecified
N04.9       581.9        | Nephrotic syndrome with unspecified morphologic changes
N03.9       582.9        | Chronic nephritic syndrome with unspecified morphologic changes
E83.42      275.2        | Hypomagnesemia
E83.39      275.3        | Other disorders of phosphorus metabolism
E83.51      275.41       | Hypocalcemia
N32.0       596.0        | Bladder-neck obstruction
N31.9       596.54       | Neuromuscular dysfunction of bladder, unspecified
N39.41      788.31       | Urge incontinence
R32         788.30  w=1  | Unspecified urinary incontinence

@respiratory chronic
J44.9       496     w=8  age=35-124 | Chronic obstructive pulmonary disease, unspecified
J44.1       491.21  w=5  age=35-124 | Chronic obstructive pulmonary disease with (acute) exacerbation
J44.0       491.22  w=1  age=35-124 | Chronic obstructive pulmonary disease with (acute) lower respiratory infection
J43.9       492.8   w=1  age=35-124 | Emphysema, unspecified
J45.909     493.90  w=6  age=2-124  | Unspecified asthma, uncomplicated
J45.901     493.92  w=2  age=2-124  | Unspecified asthma with (acute) exacerbation
J45.902     493.91       age=2-124  | Unspecified asthma with status asthmaticus
J45.20      493.00  w=1  age=2-124  | Mild intermittent asthma, uncomplicated
J45.30      493.00       age=2-124  | Mild persistent asthma, uncomplicated
J45.40      493.00       age=2-124  | Moderate persistent asthma, uncomplicated
J45.50      493.00       age=2-124  | Severe persistent asthma, uncomplicated
J96.1{0,1,2} 518.83 w=2  age=18-124 | Chronic respiratory failure, {unspecified whether with hypoxia or hypercapnia,with hypoxia,with hypercapnia}
Z99.81      V46.2   w=2  age=18-124 | Dependence on supplemental oxygen
G47.33      327.23  w=5  age=18-124 | Obstructive sleep apnea (adult) (pediatric)
J47.9       494.0        age=18-124 | Bronchiectasis, uncomplicated
J84.10      515          age=35-124 | Pulmonary fibrosis, unspecified
J84.112     516.31       age=45-124 | Idiopathic pulmonary fibrosis
E84.0       277.02       age=1-55   | Cystic fibrosis with pulmonary manifestations
Z87.01      V12.61  w=1  age=18-124 | Personal history of pneumonia (recurrent)
J30.9       477.9   w=1             | Allergic rhinitis, unspecified
J32.9       473.9                   | Chronic sinusitis, unspecified
D86.0       135          age=18-124 | Sarcoidosis of lung
J98.4       518.89       age=18-124 | Other disorders of lung
Z93.0       V44.0        age=18-124 | Tracheostomy status

@mental chronic age=12-124
F32.9       311     w=14 | Major depressive disorder, single episode, unspecified
F32.{0,1,2,3} 296.2{1,2,3,4} w=2 | Major depressive disorder, single episode, {mild,moderate,severe without psychotic features,severe with psychotic features}
F33.9       296.30  w=2  | Major depressive disorder, recurrent, unspecified
F33.{0,1,2,3} 296.3{1,2,3,4} w=2 | Major depressive disorder, recurrent, {mild,moderate,severe without psychotic features,severe with psychotic symptoms}
F34.1       300.4        | Dysthymic disorder
F39         296.90       | Unspecified mood [affective] disorder
F41.9       300.00  w=8  | Anxiety disorder, unspecified
F41.1       300.02  w=2  | Generalized anxiety disorder
F41.0       300.01  w=1  | Panic disorder [episodic paroxysmal anxiety]
F43.10      309.81  w=2  | Post-traumatic stress disorder, unspecified
F43.12      309.81       | Post-traumatic stress disorder, chronic
F43.2{0,1,2,3,4,5} 309.{9,0,24,28,3,4} | Adjustment disorder, {unspecified;with depressed mood;with anxiety;with mixed anxiety and depressed mood;with disturbance of conduct;with mixed disturbance of emotions and conduct}
F31.9       296.80  w=3  | Bipolar disorder, unspecified
F31.0       296.40       | Bipolar disorder, current episode hypomanic
F31.1{1,2,3} 296.4{1,2,3} | Bipolar disorder, current episode manic without psychotic features, {mild,moderate,severe}
F31.2       296.44       | Bipolar disorder, current episode manic severe with psychotic features
F31.3{1,2} 296.5{1,2}    | Bipolar disorder, current episode depressed, {mild,moderate}
F31.4       296.53       | Bipolar disorder, current episode depressed, severe, without psychotic features
F31.5       296.54       | Bipolar disorder, current episode depressed, severe, with psychotic features
F31.81      296.89       | Bipolar II disorder
F20.{0,1,2,3,5,9} 295.{30,10,20,90,60,90} w=2 age=15-124 | {Paranoid,Disorganized,Catatonic,Undifferentiated,Residual,Unspecified} schizophrenia
F25.{0,1,9} 295.70 age=15-124 | Schizoaffective disorder, {bipolar type,depressive type,unspecified}
F60.3       301.83       | Borderline personality disorder
F60.9       301.9        | Personality disorder, unspecified
F50.0{0,1,2} 307.1 age=12-55 | Anorexia nervosa, {unspecified;restricting type;binge eating/purging type}
F50.2       307.51  age=12-55 | Bulimia nervosa
F50.9       307.50  age=12-55 | Eating disorder, unspecified
F42.9       300.3        | Obsessive-compulsive disorder, unspecified
F44.9       300.15       | Dissociative and conversion disorder, unspecified
F45.1       300.82       | Undifferentiated somatoform disorder
R45.851     V62.84  w=2  | Suicidal ideations
Z91.5       V15.59       | Personal history of self-harm
Z63.0       V61.10       | Problems in relationship with spouse or partner
Z65.8       V62.89       | Other specified problems related to psychosocial circumstances
Z59.0       V60.0        | Homelessness

@substance chronic age=15-124
F17.210     305.1   w=14 | Nicotine dependence, cigarettes, uncomplicated
F17.200     305.1   w=3  | Nicotine dependence, unspecified, uncomplicated
F17.211     305.1        | Nicotine dependence, cigarettes, in remission
F17.220     305.1        | Nicotine dependence, chewing tobacco, uncomplicated
F17.290     305.1        | Nicotine dependence, other tobacco product, uncomplicated
Z72.0       305.1   w=3  | Tobacco use
Z87.891     V15.82  w=8  | Personal history of nicotine dependence
F10.10      305.00  w=4  | Alcohol abuse, uncomplicated
F10.20      303.90  w=5  | Alcohol dependence, uncomplicated
F10.21      303.93  w=1  | Alcohol dependence, in remission
F10.220     303.00       | Alcohol dependence with intoxication, uncomplicated
F10.229     303.00       | Alcohol dependence with intoxication, unspecified
F10.230     291.81  w=1  | Alcohol dependence with withdrawal, uncomplicated
F10.231     291.0        | Alcohol dependence with withdrawal delirium
F10.239     291.81  w=2  | Alcohol dependence with withdrawal, unspecified
F10.129     305.00       | Alcohol abuse with intoxication, unspecified
F10.27      291.2        age=35-124 | Alcohol dependence with alcohol-induced persisting dementia
K70.30      571.2   w=2  age=18-124 | Alcoholic cirrhosis of liver without ascites
K70.31      571.2   w=1  age=18-124 | Alcoholic cirrhosis of liver with ascites
K70.0       571.0        age=18-124 | Alcoholic fatty liver
K70.10      571.1        age=18-124 | Alcoholic hepatitis without ascites
K70.9       571.3        age=18-124 | Alcoholic liver disease, unspecified
K86.0       577.1        age=18-124 | Alcohol-induced chronic pancreatitis
G62.1       357.5        age=18-124 | Alcoholic polyneuropathy
I42.6       425.5        age=18-124 | Alcoholic cardiomyopathy
F11.10      305.50  w=1  | Opioid abuse, uncomplicated
F11.20      304.00  w=2  | Opioid dependence, uncomplicated
F11.21      304.03  w=1  | Opioid dependence, in remission
F11.23      292.0        | Opioid dependence with withdrawal
F11.90      305.50       | Opioid use, unspecified, uncomplicated
F12.10      305.20  w=1  | Cannabis abuse, uncomplicated
F12.20      304.30       | Cannabis dependence, uncomplicated
F12.90      305.20       | Cannabis use, unspecified, uncomplicated
F14.10      305.60  w=1  | Cocaine abuse, uncomplicated
F14.20      304.20       | Cocaine dependence, uncomplicated
F15.10      305.70       | Other stimulant abuse, uncomplicated
F15.20      304.40       | Other stimulant dependence, uncomplicated
F13.10      305.40       | Sedative, hypnotic or anxiolytic abuse, uncomplicated
F13.20      304.10       | Sedative, hypnotic or anxiolytic dependence, uncomplicated
F19.10      305.90       | Other psychoactive substance abuse, uncomplicated
F19.20      304.90       | Other psychoactive substance dependence, uncomplicated
B18.2       070.54  w=2  age=18-124 | Chronic viral hepatitis C
Z79.891     V58.69       | Long term (current) use of opiate analgesic

@neuro chronic
G30.9       331.0   w=3  age=56-124 | Alzheimer's disease, unspecified
G30.1       331.0   w=1  age=65-124 | Alzheimer's disease with late onset
F03.90      294.20  w=6  age=56-124 | Unspecified dementia without behavioral disturbance
F03.91      294.21  w=1  age=56-124 | Unspecified dementia with behavioral disturbance
F01.50      290.40  w=1  age=56-124 | Vascular dementia without behavioral disturbance
F01.51      290.41       age=56-124 | Vascular dementia with behavioral disturbance
F02.80      294.10  w=1  age=56-124 | Dementia in other diseases classd elswhr without behavioral disturbance
G20         332.0   w=3  age=45-124 | Parkinson's disease
G35         340     w=2  age=18-124 | Multiple sclerosis
G40.909     345.90  w=5  | Epilepsy, unspecified, not intractable, without status epilepticus
G40.919     345.91  w=1  | Epilepsy, unspecified, intractable, without status epilepticus
G40.209     345.40       | Localization-related symptomatic epilepsy, not intractable, without status epilepticus
G40.309     345.10       | Generalized idiopathic epilepsy, not intractable, without status epilepticus
G43.909     346.90  w=2  age=5-124 | Migraine, unspecified, not intractable, without status migrainosus
G43.009     346.10       age=5-124 | Migraine without aura, not intractable, without status migrainosus
G43.109     346.00       age=5-124 | Migraine with aura, not intractable, without status migrainosus
I69.30      438.9        age=35-124 | Unspecified sequelae of cerebral infarction
I69.320     438.11       age=35-124 | Aphasia following cerebral infarction
I69.35{1,2,3,4,9} 438.2{1,2,1,2,0} age=35-124 | Hemiplegia and hemiparesis following cerebral infarction affecting {right dominant,left dominant,right non-dominant,left non-dominant,unspecified} side
I69.391     438.82       age=35-124 | Dysphagia following cerebral infarction
I69.398     438.89       age=35-124 | Other sequelae of cerebral infarction
G81.9{0,1,2,3,4} 342.9{0,1,1,2,2} | Hemiplegia, unspecified affecting {unspecified side,right dominant side,left dominant side,right nondominant side,left nondominant side}
G82.20      344.1        | Paraplegia, unspecified
G82.50      344.00       | Quadriplegia, unspecified
G89.29      338.29  w=3  age=18-124 | Other chronic pain
G89.4       338.4   w=1  age=18-124 | Chronic pain syndrome
G47.00      780.52  w=2  age=18-124 | Insomnia, unspecified
G62.9       356.9   w=2  age=35-124 | Polyneuropathy, unspecified
G25.0       333.1        age=35-124 | Essential tremor
G25.81      333.94       age=18-124 | Restless legs syndrome
G91.2       331.5        age=56-124 | (Idiopathic) normal pressure hydrocephalus
G91.9       331.4        | Hydrocephalus, unspecified
G70.00      358.00       age=18-124 | Myasthenia gravis without (acute) exacerbation
G12.21      335.20       age=35-124 | Amyotrophic lateral sclerosis
G80.9       343.9        age=1-124  | Cerebral palsy, unspecified
G47.30      780.57       age=18-124 | Sleep apnea, unspecified
G56.0{1,2}  354.0        age=18-124 | Carpal tunnel syndrome, {right,left} upper limb
G57.{91,92} 355.8        age=18-124 | Unspecified mononeuropathy of {right,left} lower limb
H91.90      389.9   w=1  age=35-124 | Unspecified hearing loss, unspecified ear
H54.7       369.9        age=35-124 | Unspecified visual loss
H25.9       366.10       age=45-124 | Unspecified age-related cataract
H40.9       365.9        age=35-124 | Unspecified glaucoma
H35.30      362.50       age=56-124 | Unspecified macular degeneration
Z96.1       V43.1        age=45-124 | Presence of intraocular lens
Z74.09      V49.89       age=56-124 | Other reduced mobility
Z99.3       V46.3        age=18-124 | Dependence on wheelchair

@gi_chronic chronic age=18-124
K21.9       530.81  w=16 | Gastro-esophageal reflux disease without esophagitis
K22.70      530.85       | Barrett's esophagus without dysplasia
K74.60      571.5   w=3  | Unspecified cirrhosis of liver
K74.69      571.5   w=1  | Other cirrhosis of liver
K76.0       571.8   w=2  | Fatty (change of) liver, not elsewhere classified
K75.81      571.8        | Nonalcoholic steatohepatitis (NASH)
K76.6       572.3   w=1  | Portal hypertension
I85.00      456.1        | Esophageal varices without bleeding
K50.90      555.9   w=1  | Crohn's disease, unspecified, without complications
K50.00      555.0        | Crohn's disease of small intestine without complications
K50.10      555.1        | Crohn's disease of large intestine without complications
K51.90      556.9   w=1  | Ulcerative colitis, unspecified, without complications
K51.20      556.2        | Ulcerative (chronic) proctitis without complications
K58.9       564.1   w=1  | Irritable bowel syndrome without diarrhea
K59.00      564.00  w=5  | Constipation, unspecified
K59.09      564.09       | Other constipation
K57.30      562.10  w=3  | Diverticulosis of large intestine without perforation or abscess without bleeding
K44.9       553.3   w=2  | Diaphragmatic hernia without obstruction or gangrene
K40.90      550.90       | Unilateral inguinal hernia, without obstruction or gangrene, not specified as recurrent
K42.9       553.1        | Umbilical hernia without obstruction or gangrene
K43.9       553.20       | Ventral hernia without obstruction or gangrene
K86.1       577.1        | Other chronic pancreatitis
K90.0       579.0        | Celiac disease
K31.84      536.3   w=1  | Gastroparesis
D12.{0,2,3,4,5,6} 211.3 | Benign neoplasm of {cecum;ascending colon;transverse colon;descending colon;sigmoid colon;colon, unspecified}
D12.8       211.4        | Benign neoplasm of rectum
K63.5       211.3   w=1  | Polyp of colon
K64.{8,9}   455.6        | {Other,Unspecified} hemorrhoids
Z86.010     V12.72  w=2  | Personal history of colonic polyps
Z93.{1,2,3} V44.{1,2,3} | {Gastrostomy,Ileostomy,Colostomy} status
K80.20      574.20  w=2  | Calculus of gallbladder without cholecystitis without obstruction
Z90.49      V45.79       | Acquired absence of other specified parts of digestive tract
B18.1       070.32       | Chronic viral hepatitis B without delta-agent
K52.9       558.9   w=1  | Noninfective gastroenteritis and colitis, unspecified
Z80.0       V16.0   w=1  | Family history of malignant neoplasm of digestive organs

@msk chronic
M17.0       715.16  w=2  age=45-124 | Bilateral primary osteoarthritis of knee
M17.1{1,2}  715.16  w=2  age=45-124 | Unilateral primary osteoarthritis, {right,left} knee
M17.9       715.96  w=1  age=45-124 | Osteoarthritis of knee, unspecified
M16.1{1,2}  715.15  w=1  age=45-124 | Unilateral primary osteoarthritis, {right,left} hip
M16.9       715.95       age=45-124 | Osteoarthritis of hip, unspecified
M19.90      715.90  w=5  age=35-124 | Unspecified osteoarthritis, unspecified site
M19.01{1,2} 715.11       age=45-124 | Primary osteoarthritis, {right,left} shoulder
M15.0       715.09       age=45-124 | Primary generalized (osteo)arthritis
M54.5       724.2   w=6  age=18-124 | Low back pain
M54.2       723.1   w=2  age=18-124 | Cervicalgia
M54.1{2,6,7} 72{3.4,4.4,4.4} age=18-124 | Radiculopathy, {cervical,lumbar,lumbosacral} region
M48.06{1,2} 724.0{2,3}   age=45-124 | Spinal stenosis, lumbar region {without,with} neurogenic claudication
M48.02      723.0        age=45-124 | Spinal stenosis, cervical region
M51.26      722.10       age=18-124 | Other intervertebral disc displacement, lumbar region
M51.36      722.52       age=18-124 | Other intervertebral disc degeneration, lumbar region
M50.30      722.4        age=18-124 | Other cervical disc degeneration, unspecified cervical region
M47.816     721.3        age=35-124 | Spondylosis without myelopathy or radiculopathy, lumbar region
M47.812     721.0        age=35-124 | Spondylosis without myelopathy or radiculopathy, cervical region
M43.16      738.4        age=18-124 | Spondylolisthesis, lumbar region
M41.9       737.30       age=5-124  | Scoliosis, unspecified
M81.0       733.00  w=4  age=45-124 | Age-related osteoporosis without current pathological fracture
M80.08XA    733.13       age=56-124 | Age-related osteoporosis with current pathological fracture, vertebra(e), initial encounter for fracture
M80.0{51,52}A 733.14    age=56-124 | Age-related osteoporosis with current pathological fracture, {right,left} femur, initial encounter for fracture
M06.9       714.0   w=3  age=18-124 | Rheumatoid arthritis, unspecified
M06.09      714.0        age=18-124 | Rheumatoid arthritis without rheumatoid factor, multiple sites
M10.9       274.9   w=3  age=18-124 | Gout, unspecified
M10.0{61,62,71,72} 274.01 age=18-124 | Idiopathic gout, {right knee,left knee,right ankle and foot,left ankle and foot}
M32.9       710.0        age=15-124 | Systemic lupus erythematosus, unspecified
M32.14      710.0        age=15-124 | Glomerular disease in systemic lupus erythematosus
M35.3       725          age=56-124 | Polymyalgia rheumatica
M35.00      710.2        age=18-124 | Sicca syndrome, unspecified
M34.9       710.1        age=18-124 | Systemic sclerosis, unspecified
M45.9       720.0        age=18-124 | Ankylosing spondylitis of unspecified sites in spine
M79.7       729.1        age=18-124 | Fibromyalgia
M25.5{11,12,21,22,31,32,41,42,51,52,61,62,71,72} 719.4{1,1,2,2,3,3,4,4,5,5,6,6,7,7} w=4 | Pain in {right shoulder,left shoulder,right elbow,left elbow,right wrist,left wrist,right hand,left hand,right hip,left hip,right knee,left knee,right ankle and joints of right foot,left ankle and joints of left foot}
M79.60{1,2,4,5} 729.5 | Pain in {right arm,left arm,right leg,left leg}
M79.6{41,42,71,72} 729.5 | Pain in {right hand,left hand,right foot,left foot}
M62.830     728.85       age=18-124 | Muscle spasm of back
M70.6{1,2}  726.5        age=35-124 | Trochanteric bursitis, {right,left} hip
M75.10{0,1,2} 726.10     age=35-124 | Unspecified rotator cuff tear or rupture of {unspecified,right,left} shoulder, not specified as traumatic
M72.2       728.71       age=18-124 | Plantar fascial fibromatosis
M77.1{1,2}  726.32       age=18-124 | Lateral epicondylitis, {right,left} elbow
M76.6{1,2}  726.71       age=18-124 | Achilles tendinitis, {right,left} leg
Z96.6{41,42,43} V43.64 w=2 age=45-124 | Presence of {right,left,bilateral} artificial hip joint
Z96.6{51,52,53} V43.65 w=2 age=45-124 | Presence of {right,left,bilateral} artificial knee joint
Z47.1       V54.81       age=45-124 | Aftercare following joint replacement surgery
M62.81      728.87  w=3  age=18-124 | Muscle weakness (generalized)
M85.80      733.90       age=35-124 | Other specified disorders of bone density and structure, unspecified site
@oncology chronic age=35-124
C34.90      162.9   w=4  | Malignant neoplasm of unspecified part of unspecified bronchus or lung
C34.{91,92} 162.9   w=2  | Malignant neoplasm of unspecified part of {right;left} bronchus or lung
C34.1{1,2}  162.3   w=2  | Malignant neoplasm of upper lobe, {right;left} bronchus or lung
C34.3{1,2}  162.5   w=1  | Malignant neoplasm of lower lobe, {right;left} bronchus or lung
C34.2       162.4        | Malignant neoplasm of middle lobe, bronchus or lung
C18.{0,2,3,4,5,6,7,9} 153.{4,6,0,1,7,2,3,9} | Malignant neoplasm of {cecum;ascending colon;hepatic flexure;transverse colon;splenic flexure;descending colon;sigmoid colon;colon, unspecified}
C19         154.0        | Malignant neoplasm of rectosigmoid junction
C20         154.1   w=1  | Malignant neoplasm of rectum
C25.{0,1,2,9} 157.{0,1,2,9} w=2 | Malignant neoplasm of {head;body;tail;unspecified part} of pancreas
C22.0       155.0   w=1  | Liver cell carcinoma
C22.1       155.1        | Intrahepatic bile duct carcinoma
C16.9       151.9   w=1  | Malignant neoplasm of stomach, unspecified
C15.9       150.9        | Malignant neoplasm of esophagus, unspecified
C15.5       150.5        | Malignant neoplasm of lower third of esophagus
C50.9{11,12} 174.9  w=4 sex=F | Malignant neoplasm of unspecified site of {right;left} female breast
C50.{1,2,3,4,5,8}{11,12} 174.{1,2,3,4,5,8} sex=F | Malignant neoplasm of {central portion;upper-inner quadrant;lower-inner quadrant;upper-outer quadrant;lower-outer quadrant;overlapping sites} of {right;left} female breast
C50.92{1,2} 175.9        sex=M | Malignant neoplasm of unspecified site of {right;left} male breast
Z17.0       V86.0   w=2  sex=F | Estrogen receptor positive status [ER+]
Z17.1       V86.1        sex=F | Estrogen receptor negative status [ER-]
C61         185     w=8  age=45-124 sex=M | Malignant neoplasm of prostate
C67.9       188.9   w=1  | Malignant neoplasm of bladder, unspecified
C64.{1,2,9} 189.0   w=1  | Malignant neoplasm of {right;left;unspecified} kidney, except renal pelvis
C56.{1,2,9} 183.0        sex=F | Malignant neoplasm of {right;left;unspecified} ovary
C54.1       182.0        sex=F | Malignant neoplasm of endometrium
C53.9       180.9        sex=F | Malignant neoplasm of cervix uteri, unspecified
C55         179          sex=F | Malignant neoplasm of uterus, part unspecified
C62.9{1,2}  186.9        age=15-55 sex=M | Malignant neoplasm of {right;left} testis, unspecified whether descended or undescended
C71.{1,2,9} 191.{1,2,9}  age=18-124 | Malignant neoplasm of {frontal lobe;temporal lobe;brain, unspecified}
C73         193          age=18-124 | Malignant neoplasm of thyroid gland
C43.{9,59,61,62,71,72} 172.{9,5,6,6,7,7} age=18-124 | Malignant melanoma of {skin, unspecified;other part of trunk;right upper limb, including shoulder;left upper limb, including shoulder;right lower limb, including hip;left lower limb, including hip}
C44.91      173.91       | Basal cell carcinoma of skin, unspecified
C32.9       161.9        | Malignant neoplasm of larynx, unspecified
C01         141.0        | Malignant neoplasm of base of tongue
C02.9       141.9        | Malignant neoplasm of tongue, unspecified
C10.9       146.9        | Malignant neoplasm of oropharynx, unspecified
C78.0{0,1,2} 197.0 w=2  | Secondary malignant neoplasm of {unspecified;right;left} lung
C78.7       197.7   w=3  | Secondary malignant neoplasm of liver and intrahepatic bile duct
C79.31      198.3   w=2  | Secondary malignant neoplasm of brain
C79.51      198.5   w=3  | Secondary malignant neoplasm of bone
C79.52      198.5        | Secondary malignant neoplasm of bone marrow
C77.{0,2,3,9} 196.{0,2,3,9} w=1 | Secondary and unspecified malignant neoplasm of lymph nodes of {head, face and neck;intra-abdominal lymph nodes;axilla and upper limb;lymph node, unspecified}
C78.6       197.6        | Secondary malignant neoplasm of retroperitoneum and peritoneum
C78.2       197.2        | Secondary malignant neoplasm of pleura
C79.7{0,1,2} 198.7      | Secondary malignant neoplasm of {unspecified;right;left} adrenal gland
C79.6{0,1,2} 198.6 sex=F | Secondary malignant neoplasm of {unspecified;right;left} ovary
C79.9       198.89       | Secondary malignant neoplasm of unspecified site
C90.00      203.00  w=2  | Multiple myeloma not having achieved remission
C90.01      203.01       | Multiple myeloma in remission
C91.10      204.10  w=1  | Chronic lymphocytic leukemia of B-cell type not having achieved remission
C92.00      205.00  w=1  age=18-124 | Acute myeloblastic leukemia, not having achieved remission
C92.10      205.10       | Chronic myeloid leukemia, BCR/ABL-positive, not having achieved remission
C83.30      200.70  w=1  age=18-124 | Diffuse large B-cell lymphoma, unspecified site
C83.38      200.78       age=18-124 | Diffuse large B-cell lymphoma, lymph nodes of multiple sites
C81.90      201.90       age=15-124 | Hodgkin lymphoma, unspecified, unspecified site
C85.90      202.80  w=1  | Non-Hodgkin lymphoma, unspecified, unspecified site
D46.9       238.75       age=56-124 | Myelodysplastic syndrome, unspecified
D47.3       238.71       | Essential (hemorrhagic) thrombocythemia
D45         238.4        | Polycythemia vera
Z85.3       V10.3   w=3  sex=F | Personal history of malignant neoplasm of breast
Z85.46      V10.46  w=2  age=45-124 sex=M | Personal history of malignant neoplasm of prostate
Z85.43      V10.43       sex=F | Personal history of malignant neoplasm of ovary
Z85.038     V10.05  w=1  | Personal history of other malignant neoplasm of large intestine
Z85.118     V10.11  w=1  | Personal history of other malignant neoplasm of bronchus and lung
Z85.528     V10.52       | Personal history of other malignant neoplasm of kidney
Z85.820     V10.82       | Personal history of malignant melanoma of skin
Z92.21      V87.41  w=2  | Personal history of antineoplastic chemotherapy
Z92.3       V15.3   w=1  | Personal history of irradiation
Z80.3       V16.3        | Family history of malignant neoplasm of breast
G89.3       338.3   w=1  | Neoplasm related pain (acute) (chronic)
R53.0       780.79       | Neoplastic (malignant) related fatigue
Z51.5       V66.7   w=2  | Encounter for palliative care

@hematology chronic
D64.9       285.9   w=14 | Anemia, unspecified
D50.9       280.9   w=4  | Iron deficiency anemia, unspecified
D50.0       280.0   w=2  | Iron deficiency anemia secondary to blood loss (chronic)
D53.9       281.9        | Nutritional anemia, unspecified
D51.0       281.0        age=35-124 | Vitamin B12 deficiency anemia due to intrinsic factor deficiency
D57.1       282.60  w=1  age=1-124  | Sickle-cell disease without crisis
D57.00      282.62       age=1-124  | Hb-SS disease with crisis, unspecified
D56.1       282.44       age=1-124  | Beta thalassemia
D68.9       286.9        | Coagulation defect, unspecified
D68.51      289.81       | Activated protein C resistance
D68.59      289.81       | Other primary thrombophilia
D68.61      289.81       | Antiphospholipid syndrome
D69.6       287.5   w=6  | Thrombocytopenia, unspecified
D69.59      287.49  w=1  | Other secondary thrombocytopenia
D69.3       287.31       | Immune thrombocytopenic purpura
D72.829     288.60  w=2  | Elevated white blood cell count, unspecified
D72.819     288.50       | Decreased white blood cell count, unspecified
D70.9       288.00  w=1  | Neutropenia, unspecified
D75.1       289.0        age=18-124 | Secondary polycythemia
D66         286.0        sex=M | Hereditary factor VIII deficiency
Z86.718     V12.51  w=3  age=18-124 | Personal history of other venous thrombosis and embolism
Z86.711     V12.55  w=1  age=18-124 | Personal history of pulmonary embolism
D73.1       289.4        | Hypersplenism
D89.9       279.9        | Disorder involving the immune mechanism, unspecified
D84.9       279.3        | Immunodeficiency, unspecified

@endocrine chronic
E03.9       244.9   w=12 age=12-124 | Hypothyroidism, unspecified
E89.0       244.0   w=1  age=18-124 | Postprocedural hypothyroidism
E05.90      242.90  w=1  age=12-124 | Thyrotoxicosis, unspecified without thyrotoxic crisis or storm
E04.1       241.0        age=18-124 | Nontoxic single thyroid nodule
E04.2       241.1        age=18-124 | Nontoxic multinodular goiter
E06.3       245.2        age=12-124 | Autoimmune thyroiditis
E21.0       252.01       age=35-124 | Primary hyperparathyroidism
E21.3       252.00       age=35-124 | Hyperparathyroidism, unspecified
E27.40      255.41       age=12-124 | Unspecified adrenocortical insufficiency
E27.1       255.41       age=12-124 | Primary adrenocortical insufficiency
E23.0       253.2        age=12-124 | Hypopituitarism
E22.2       253.6   w=1  age=18-124 | Syndrome of inappropriate secretion of antidiuretic hormone
E24.9       255.0        age=18-124 | Cushing's syndrome, unspecified
E55.9       268.9   w=4  age=5-124  | Vitamin D deficiency, unspecified
E53.8       266.2   w=1  age=18-124 | Deficiency of other specified B group vitamins
E63.9       269.9        | Nutritional deficiency, unspecified
E44.0       263.0   w=2  | Moderate protein-calorie malnutrition
E43         262     w=2  | Unspecified severe protein-calorie malnutrition
E46         263.9   w=1  | Unspecified protein-calorie malnutrition
E44.1       263.1        | Mild protein-calorie malnutrition
E10.9       250.01  w=3  age=2-124 | Type 1 diabetes mellitus without complications
E10.10      250.11  w=1  age=2-124 | Type 1 diabetes mellitus with ketoacidosis without coma
E10.65      250.81  w=1  age=2-124 | Type 1 diabetes mellitus with hyperglycemia
E10.22      250.41       age=18-124 | Type 1 diabetes mellitus with diabetic chronic kidney disease
E10.40      250.61       age=18-124 | Type 1 diabetes mellitus with diabetic neuropathy, unspecified
E10.319     250.51       age=18-124 | Type 1 diabetes mellitus with unspecified diabetic retinopathy without macular edema
E10.649     250.81       age=2-124  | Type 1 diabetes mellitus with hypoglycemia without coma
E16.2       251.2        | Hypoglycemia, unspecified
E28.2       256.4   w=1  age=15-55 sex=F | Polycystic ovarian syndrome
E29.1       257.2        age=18-124 sex=M | Testicular hypofunction
E88.09      273.8        age=18-124 | Other disorders of plasma-protein metabolism, not elsewhere classified
E83.110     275.01       age=18-124 | Hereditary hemochromatosis
E83.01      275.1        age=12-124 | Wilson's disease
E72.11      270.4        age=1-17   | Homocystinuria
E74.39      271.8        | Other disorders of intestinal carbohydrate absorption
E73.9       271.3        age=5-124  | Lactose intolerance, unspecified
Z79.3       V58.69       age=15-55 sex=F | Long term (current) use of hormonal contraceptives
Z79.52      V58.65  w=2  age=18-124 | Long term (current) use of systemic steroids
Z79.899     V58.69  w=8  | Other long term (current) drug therapy

@chronic_infection chronic age=18-124
B20         042     w=3  | Human immunodeficiency virus [HIV] disease
Z21         V08     w=1  | Asymptomatic human immunodeficiency virus [HIV] infection status
B19.20      070.70       | Unspecified viral hepatitis C without hepatic coma
A15.0       011.90       | Tuberculosis of lung
Z86.11      V12.01       | Personal history of tuberculosis
R76.11      795.51       | Nonspecific reaction to tuberculin skin test without active tuberculosis
B37.0       112.0   w=1  | Candidal stomatitis
B37.81      112.84       | Candidal esophagitis
B37.2       112.3        | Candidiasis of skin and nail
B00.9       054.9        | Herpesviral infection, unspecified
B02.9       053.9   w=1  | Zoster without complications
B02.29      053.19       | Other postherpetic nervous system involvement
B35.1       110.1        | Tinea unguium
B35.3       110.4        | Tinea pedis
B59         136.3        | Pneumocystosis
B25.9       078.5        | Cytomegaloviral disease, unspecified
Z22.322     V02.54       | Carrier or suspected carrier of Methicillin resistant Staphylococcus aureus
Z16.24      V09.80       | Resistance to multiple antibiotics
Z20.2       V01.6        | Contact with and (suspected) exposure to infections with a predominantly sexual mode of transmission
A60.04      054.11 sex=F | Herpesviral vulvovaginitis
A60.01      054.13 sex=M | Herpesviral infection of penis
A54.00      098.0        | Gonococcal infection of lower genitourinary tract, unspecified
A56.01      099.53       | Chlamydial cystitis and urethritis
A53.9       097.9        | Syphilis, unspecified

@male_gu chronic age=45-124 sex=M
N40.0       600.00  w=10 | Benign prostatic hyperplasia without lower urinary tract symptoms
N40.1       600.01  w=6  | Benign prostatic hyperplasia with lower urinary tract symptoms
N40.2       600.10       | Nodular prostate without lower urinary tract symptoms
N40.3       600.20       | Nodular prostate with lower urinary tract symptoms
N41.1       601.1        | Chronic prostatitis
N42.9       602.9        | Disorder of prostate, unspecified
N42.89      602.8        | Other specified disorders of prostate
N42.30      602.3        | Unspecified dysplasia of prostate
N52.9       607.84  w=3  | Male erectile dysfunction, unspecified
N52.01      607.84       | Erectile dysfunction due to arterial insufficiency
N52.1       607.84       | Erectile dysfunction due to diseases classified elsewhere
N43.3       603.9        | Hydrocele, unspecified
N45.1       604.90       | Epididymitis
N45.3       604.90       | Epididymo-orchitis
N48.1       607.1        | Balanitis
N50.89      608.89       | Other specified disorders of the male genital organs
N46.9       606.9        age=18-55 | Male infertility, unspecified
N47.1       605          age=5-124 | Phimosis
Z12.5       V76.44  w=2  | Encounter for screening for malignant neoplasm of prostate
R97.20      790.93  w=2  | Elevated prostate specific antigen [PSA]
R33.9       788.20  w=2  | Retention of urine, unspecified
R39.14      788.21       | Feeling of incomplete bladder emptying
N13.8       599.60       | Other obstructive and reflux uropathy
Z98.52      V26.52       age=35-124 | Vasectomy status
Z87.438     V13.09       | Personal history of other diseases of male genital organs
N49.2       608.4        | Inflammatory disorders of scrotum

@female_gyn chronic age=15-124 sex=F
N95.1       627.2   w=4  age=45-124 | Menopausal and female climacteric states
N95.0       627.1   w=1  age=45-124 | Postmenopausal bleeding
Z78.0       V49.81  w=3  age=45-124 | Asymptomatic menopausal state
N92.0       626.2   w=2  age=15-55 | Excessive and frequent menstruation with regular cycle
N92.1       626.6        age=15-55 | Excessive and frequent menstruation with irregular cycle
N92.6       626.4        age=15-55 | Irregular menstruation, unspecified
N93.9       626.9   w=1  age=15-55 | Abnormal uterine and vaginal bleeding, unspecified
N94.6       625.3        age=15-55 | Dysmenorrhea, unspecified
N91.2       626.0        age=15-55 | Amenorrhea, unspecified
N80.{0,1,3,9} 617.{0,1,3,9} age=18-55 | Endometriosis of {uterus;ovary;pelvic peritoneum;unspecified site}
D25.9       218.9   w=2  age=18-124 | Leiomyoma of uterus, unspecified
D25.{0,1,2} 218.{0,1,2}  age=18-124 | {Submucous;Intramural;Subserosal} leiomyoma of uterus
N83.20{1,2,9} 620.2      age=15-55 | Unspecified ovarian cyst, {right;left;unspecified} side
N83.29{1,2} 620.2        age=15-55 | Other ovarian cyst, {right;left} side
N81.10      618.00       age=35-124 | Cystocele, unspecified
N81.2       618.2        age=35-124 | Incomplete uterovaginal prolapse
N81.4       618.4        age=35-124 | Uterovaginal prolapse, unspecified
N81.6       618.04       age=35-124 | Rectocele
N39.3       625.6   w=2  age=35-124 | Stress incontinence (female) (male)
N76.0       616.10  w=1  | Acute vaginitis
N73.9       614.9        age=15-55 | Female pelvic inflammatory disease, unspecified
N75.0       616.2        | Cyst of Bartholin's gland
N84.0       621.0        age=35-124 | Polyp of corpus uteri
N84.1       622.7        | Polyp of cervix uteri
N85.00      621.30       age=35-124 | Endometrial hyperplasia, unspecified
N87.9       622.10       | Dysplasia of cervix uteri, unspecified
R87.61{0,1,2,3,9} 795.0{1,2,3,4,0} | {Atypical squamous cells of undetermined significance;Atypical squamous cells cannot exclude high grade squamous intraepithelial lesion;Low grade squamous intraepithelial lesion;High grade squamous intraepithelial lesion;Unspecified abnormal cytological findings} on cytologic smear of cervix
N97.9       628.9        age=18-44 | Female infertility, unspecified
Z30.011     V25.01       age=15-44 | Encounter for initial prescription of contraceptive pills
Z30.430     V25.11       age=15-44 | Encounter for insertion of intrauterine contraceptive device
Z97.5       V45.51       age=15-55 | Presence of (intrauterine) contraceptive device
Z12.4       V76.2        | Encounter for screening for malignant neoplasm of cervix
Z01.419     V72.31  w=1  | Encounter for gynecological examination (general) (routine) without abnormal findings
Z12.31      V76.12  w=2  age=35-124 | Encounter for screening mammogram for malignant neoplasm of breast
Z90.710     V88.01  w=2  age=35-124 | Acquired absence of both cervix and uterus
Z90.722     V45.77       age=35-124 | Acquired absence of ovaries, bilateral
N60.1{1,2,9} 610.1       age=18-124 | Diffuse cystic mastopathy of {right;left;unspecified} breast
N63.{10,20} 611.72       age=18-124 | Unspecified lump in the {right;left} breast, unspecified quadrant
N64.4       611.71       age=18-124 | Mastodynia
B37.3       112.1   w=1  | Candidiasis of vulva and vagina
N89.8       623.8        | Other specified noninflammatory disorders of vagina
N90.89      624.8        | Other specified noninflammatory disorders of vulva and perineum

@pediatric_chronic chronic age=1-17
F90.{0,1,2,9} 314.{00,01,01,9} w=4 age=5-17 | Attention-deficit hyperactivity disorder, {predominantly inattentive type;predominantly hyperactive type;combined type;unspecified type}
F84.0       299.00  w=3  age=2-17 | Autistic disorder
F80.{1,2,9} 315.{31,32,39} w=2 age=2-17 | {Expressive language disorder;Mixed receptive-expressive language disorder;Developmental disorder of speech and language, unspecified}
F88         315.8        age=2-17 | Other disorders of psychological development
F89         315.9        age=2-17 | Unspecified disorder of psychological development
F82         315.4        age=2-17 | Specific developmental disorder of motor function
F91.3       313.81       age=5-17 | Oppositional defiant disorder
F91.9       312.9        age=5-17 | Conduct disorder, unspecified
F93.0       309.21       age=2-17 | Separation anxiety disorder of childhood
F98.0       307.6        age=5-17 | Enuresis not due to a substance or known physiological condition
R62.50      783.40       | Unspecified lack of expected normal physiological development in childhood
R62.0       783.42  w=2  | Delayed milestone in childhood
R62.51      783.41  w=1  | Failure to thrive (child)
Q21.0       745.4        | Ventricular septal defect
Q21.1       745.5        | Atrial septal defect
Q25.0       747.0        | Patent ductus arteriosus
Q90.9       758.0        | Down syndrome, unspecified
Q05.9       741.90       | Spina bifida, unspecified
E84.9       277.00       | Cystic fibrosis, unspecified
L20.9       691.8   w=2  | Atopic dermatitis, unspecified
L20.83      691.8        age=1-4 | Infantile (acute) (chronic) eczema
Z68.5{1,2,3,4} V85.5{1,2,3,4} age=2-17 | Body mass index [BMI] pediatric, {less than 5th percentile for age;5th percentile to less than 85th percentile for age;85th percentile to less than 95th percentile for age;greater than or equal to 95th percentile for age}
E66.9       278.00  w=1  age=2-17 | Obesity, unspecified
Z00.12{1,9} V20.2 w=3 | Encounter for routine child health examination {with;without} abnormal findings
Z23         V06.8   w=3  | Encounter for immunization
J35.01      474.00       age=2-17 | Chronic tonsillitis
J35.1       474.11       age=2-17 | Hypertrophy of tonsils
J35.3       474.10       age=2-17 | Hypertrophy of tonsils with hypertrophy of adenoids
J35.2       474.12       age=2-17 | Hypertrophy of adenoids
Q53.10      752.51  sex=M | Unilateral undescended testicle, unspecified
Q54.1       752.61  sex=M | Hypospadias, penile
H52.{13,03} 367.{1,0} age=5-17 | {Myopia;Hypermetropia}, bilateral
H50.{00,10} 378.{00,10} age=2-17 | {Unspecified esotropia;Unspecified exotropia}
G47.33      327.23       age=2-17 | Obstructive sleep apnea (adult) (pediatric)
# =====================================================================================
# Episode clusters: the reason for one visit.
# =====================================================================================
@obstetric episode age=15-44 sex=F
O80         650     w=14 | Encounter for full-term uncomplicated delivery
Z37.0       V27.0   w=16 | Single live birth
Z37.2       V27.2   w=1  | Twins, both liveborn
Z37.1       V27.1        | Single stillbirth
Z3A.{08..42} - w=10      | {08..42} weeks gestation of pregnancy
Z3A.{00,01,49} -         | Weeks of gestation of pregnancy, {not specified;less than 8 weeks;greater than 42 weeks}
Z39.0       V24.0   w=3  | Encounter for care and examination of mother immediately after delivery
Z39.1       V24.1        | Encounter for care and examination of lactating mother
Z39.2       V24.2   w=1  | Encounter for routine postpartum follow-up
Z33.1       V22.2   w=1  | Pregnant state, incidental
Z34.0{0,1,2,3} V22.0 w=1 | Encounter for supervision of normal first pregnancy, {unspecified;first;second;third} trimester
Z34.8{0,1,2,3} V22.1 w=1 | Encounter for supervision of other normal pregnancy, {unspecified;first;second;third} trimester
O34.21{1,2,9} 654.21 w=4 | Maternal care for {low transverse;vertical;unspecified type} scar from previous cesarean delivery
O24.41{0,4,9} 648.83 w=2 | Gestational diabetes mellitus in pregnancy, {diet controlled;insulin controlled;unspecified control}
O24.42{0,4,9} 648.81 w=2 | Gestational diabetes mellitus in childbirth, {diet controlled;insulin controlled;unspecified control}
O13.{1,2,3} 642.33 w=1   | Gestational [pregnancy-induced] hypertension without significant proteinuria, {first;second;third} trimester
O13.9       642.33       | Gestational [pregnancy-induced] hypertension without significant proteinuria, unspecified trimester
O14.{03,13,23,93} 642.{43,53,53,43} w=1 | {Mild to moderate pre-eclampsia;Severe pre-eclampsia;HELLP syndrome;Unspecified pre-eclampsia}, third trimester
O14.{04,14,24,94} 642.{41,51,51,41} w=1 | {Mild to moderate pre-eclampsia;Severe pre-eclampsia;HELLP syndrome;Unspecified pre-eclampsia}, complicating childbirth
O10.{013,02,03} 642.0{3,1,4} | Pre-existing essential hypertension complicating {pregnancy, third trimester;childbirth;the puerperium}
O99.01{1,2,3} 648.23 w=1 | Anemia complicating pregnancy, {first;second;third} trimester
O99.02      648.21  w=2  | Anemia complicating childbirth
O99.03      648.24       | Anemia complicating the puerperium
O99.41{1,2,3} 648.63    | Diseases of the circulatory system complicating pregnancy, {first;second;third} trimester
O99.42      648.61       | Diseases of the circulatory system complicating childbirth
O99.51{1,2,3} 648.93    | Diseases of the respiratory system complicating pregnancy, {first;second;third} trimester
O99.52      648.91       | Diseases of the respiratory system complicating childbirth
O99.81{0,4,5} 648.8{3,1,4} | Abnormal glucose complicating {pregnancy;childbirth;the puerperium}
O99.89      648.93       | Other specified diseases and conditions complicating pregnancy, childbirth and the puerperium
O99.33{0,1,2,3} 649.03 | Smoking (tobacco) complicating pregnancy, {unspecified;first;second;third} trimester
O99.334     649.01       | Smoking (tobacco) complicating childbirth
O99.32{1,2,3} 648.33    | Drug use complicating pregnancy, {first;second;third} trimester
O99.324     648.31       | Drug use complicating childbirth
O99.21{0,4} 649.1{3,1}   | Obesity complicating {pregnancy, unspecified trimester;childbirth}
O99.34{0,4} 648.4{3,1}   | Other mental disorders complicating {pregnancy, unspecified trimester;childbirth}
O09.51{1,2,3} V23.81    | Supervision of elderly primigravida, {first;second;third} trimester
O09.52{1,2,3} V23.82    | Supervision of elderly multigravida, {first;second;third} trimester
O09.89{1,2,3} V23.89    | Supervision of other high risk pregnancies, {first;second;third} trimester
O09.0{1,2,3} V23.0      | Supervision of pregnancy with history of infertility, {first;second;third} trimester
O09.29{1,2,3} V23.49    | Supervision of pregnancy with other poor reproductive or obstetric history, {first;second;third} trimester
O36.5930    656.53       | Maternal care for known or suspected poor fetal growth, third trimester
O36.8130    655.73       | Decreased fetal movements, third trimester
O36.4XX0    656.43       | Maternal care for intrauterine death
O36.63X0    656.63       | Maternal care for excessive fetal growth, third trimester
O32.1XX0    652.23  w=1  | Maternal care for breech presentation
O33.4XX0    653.43       | Maternal care for disproportion of mixed maternal and fetal origin
O42.02      658.11  w=1  | Full-term premature rupture of membranes, onset of labor within 24 hours of rupture
O42.92      658.11  w=1  | Full-term premature rupture of membranes, unspecified as to length of time between rupture and onset of labor
O42.913     658.13       | Preterm premature rupture of membranes, unspecified as to length of time between rupture and onset of labor, third trimester
O60.14X0    644.21  w=1  | Preterm labor third trimester with preterm delivery third trimester
O60.0{2,3}  644.03       | Preterm labor without delivery, {second;third} trimester
O48.0       645.11  w=1  | Post-term pregnancy
O48.1       645.21       | Prolonged pregnancy
O62.{0,1,2,3,4,9} 661.{01,11,21,31,41,91} | {Primary inadequate contractions;Secondary uterine inertia;Other uterine inertia;Precipitate labor;Hypertonic, incoordinate, and prolonged uterine contractions;Abnormality of labor forces, unspecified}
O63.{0,1,9} 662.{01,21,11} | {Prolonged first stage (of labor);Prolonged second stage (of labor);Long labor, unspecified}
O64.1XX0    660.01       | Obstructed labor due to breech presentation
O65.4       660.11       | Obstructed labor due to fetopelvic disproportion, unspecified
O68         656.31       | Labor and delivery complicated by abnormality of fetal acid-base balance
O76         659.71  w=1  | Abnormality in fetal heart rate and rhythm complicating labor and delivery
O69.81X0    663.31       | Labor and delivery complicated by cord around neck, without compression
O69.1XX0    663.11       | Labor and delivery complicated by cord around neck, with compression
O70.{0,1,3,9} 664.{01,11,31,41} w=2 | {First;Second;Fourth;Unspecified} degree perineal laceration during delivery
O70.2{0,1,2,3} 664.21 | Third degree perineal laceration during delivery, {unspecified;IIIa;IIIb;IIIc}
O71.4       665.41       | Obstetric high vaginal laceration alone
O72.{0,1,2,3} 666.{02,12,22,32} w=1 | {Third-stage hemorrhage;Other immediate postpartum hemorrhage;Delayed and secondary postpartum hemorrhage;Postpartum coagulation defects}
O75.2       659.21       | Pyrexia during labor, not elsewhere classified
O75.4       669.41       | Other complications of obstetric surgery and procedures
O86.4       672.02       | Pyrexia of unknown origin following delivery
O90.81      648.24       | Anemia of the puerperium
O26.89{1,2,3} 646.83    | Other specified pregnancy related conditions, {first;second;third} trimester
O26.85{1,2,3} 649.53    | Spotting complicating pregnancy, {first;second;third} trimester
O26.84{1,2,3} 649.63    | Uterine size-date discrepancy, {first;second;third} trimester
O26.87{2,3} 649.73      | Cervical shortening, {second;third} trimester
O21.{0,1,2,8,9} 643.{03,13,23,83,93} w=1 | {Mild hyperemesis gravidarum;Hyperemesis gravidarum with metabolic disturbance;Late vomiting of pregnancy;Other vomiting complicating pregnancy;Vomiting of pregnancy, unspecified}
O20.0       640.03       | Threatened abortion
O20.9       640.93       | Hemorrhage in early pregnancy, unspecified
O03.9       634.92       | Complete or unspecified spontaneous abortion without complication
O02.1       632          | Missed abortion
O01.9       630          | Hydatidiform mole, unspecified
O23.4{1,2,3} 646.63     | Unspecified infection of urinary tract in pregnancy, {first;second;third} trimester
O30.00{1,2,3} 651.03    | Twin pregnancy, unspecified number of placenta and unspecified number of amniotic sacs, {first;second;third} trimester
O30.04{1,2,3} 651.03    | Twin pregnancy, dichorionic/diamniotic, {first;second;third} trimester
O44.0{1,2,3} 641.03     | Complete placenta previa NOS or without hemorrhage, {first;second;third} trimester
O45.9{2,3}  641.23       | Premature separation of placenta, unspecified, {second;third} trimester
O47.1       644.13       | False labor at or after 37 completed weeks of gestation
O47.03      644.03       | False labor before 37 completed weeks of gestation, third trimester
O41.03X0    658.03       | Oligohydramnios, third trimester
O40.3XX0    657.03       | Polyhydramnios, third trimester
O28.3       796.5        | Abnormal ultrasonic finding on antenatal screening of mother
O99.28{0,4} 648.1{3,1} | Endocrine, nutritional and metabolic diseases complicating {pregnancy, unspecified trimester;childbirth}
O98.41{1,2} 647.63 | Viral hepatitis complicating pregnancy, {first;second} trimester
O99.{62,63} 648.9{1,4} | Diseases of the digestive system complicating {childbirth;the puerperium}
O99.{72,73} 648.9{1,4} | Diseases of the skin and subcutaneous tissue complicating {childbirth;the puerperium}

@newborn episode age=0-0
Z38.00      V30.00  w=30 | Single liveborn infant, delivered vaginally
Z38.01      V30.01  w=18 | Single liveborn infant, delivered by cesarean
Z38.1       V30.1        | Single liveborn infant, born outside hospital
Z38.2       V30.2        | Single liveborn infant, unspecified as to place of birth
Z38.3{0,1}  V31.0{0,1} w=2 | Twin liveborn infant, delivered {vaginally;by cesarean}
Z38.4       V31.1        | Twin liveborn infant, born outside hospital
Z05.{0,1,2,3,41,42,43,5,6,71,72,73,8,9} V29.{8,0,1,2,3,3,8,8,8,8,8,8,8,9} w=3 | Observation and evaluation of newborn for suspected {cardiac condition;infectious condition;neurological condition;respiratory condition;genetic condition;metabolic condition;immunologic condition;gastrointestinal condition;genitourinary condition;skin and subcutaneous tissue condition;musculoskeletal condition;connective tissue condition;condition, other specified;condition, unspecified} ruled out
Z00.11{0,1} V20.3{1,2} w=3 | Health examination for newborn {under 8 days old;8 to 28 days old}
P07.0{1,2,3} 765.0{1,2,3} | Extremely low birth weight newborn, {less than 500 grams;500-749 grams;750-999 grams}
P07.1{4,5,6,7,8} 765.1{4,5,6,7,8} w=2 | Other low birth weight newborn, {1000-1249;1250-1499;1500-1749;1750-1999;2000-2499} grams
P07.3{0,1,2,3,4,5,6,7,8,9} 765.2{0,4,5,5,6,6,7,7,8,8} w=4 | Preterm newborn, {unspecified weeks of gestation;gestational age 28 completed weeks;gestational age 29 completed weeks;gestational age 30 completed weeks;gestational age 31 completed weeks;gestational age 32 completed weeks;gestational age 33 completed weeks;gestational age 34 completed weeks;gestational age 35 completed weeks;gestational age 36 completed weeks}
P07.2{1,2,3,4,5,6} 765.2{1,1,2,3,3,4} | Extreme immaturity of newborn, gestational age {less than 23;23;24;25;26;27} completed weeks
P22.{0,1,8,9} 7{69,70.6,70.89,70.89} w=3 | {Respiratory distress syndrome of newborn;Transient tachypnea of newborn;Other respiratory distress of newborn;Respiratory distress of newborn, unspecified}
P28.{2,3,4,5} 770.8{3,1,2,4} | {Cyanotic attacks of newborn;Primary sleep apnea of newborn;Other apnea of newborn;Respiratory failure of newborn}
P59.{0,3,8,9} 774.{2,39,39,6} w=4 | Neonatal jaundice {associated with preterm delivery;from breast milk inhibitor;from other specified causes;unspecified}
P55.{0,1}   773.{0,1}    | {Rh;ABO} isoimmunization of newborn
P92.{1,2,3,5,6,8,9} 779.3{3,1,1,1,4,1,1} | {Regurgitation and rumination of newborn;Slow feeding of newborn;Underfeeding of newborn;Difficulty in feeding at breast;Failure to thrive in newborn;Other feeding problems of newborn;Feeding problem of newborn, unspecified}
P70.{0,1,4} 775.{0,0,6} w=1 | {Syndrome of infant of mother with gestational diabetes;Syndrome of infant of a diabetic mother;Other neonatal hypoglycemia}
P36.{0,4,9} 771.81      | Sepsis of newborn due to {streptococcus, group B;Escherichia coli;unspecified bacteria}
P39.1       771.6        | Neonatal conjunctivitis and dacryocystitis
P39.3       771.82       | Neonatal urinary tract infection
P29.30      747.83       | Pulmonary hypertension of newborn
P61.{0,1,2} 776.{1,4,6}  | {Transient neonatal thrombocytopenia;Polycythemia neonatorum;Anemia of prematurity}
P74.1       775.5        | Dehydration of newborn
P08.{1,21,22} 766.{1,21,22} | {Other heavy for gestational age newborn;Post-term newborn;Prolonged gestation of newborn}
P05.9       764.90       | Newborn affected by slow intrauterine growth, unspecified
P00.89      760.8        | Newborn affected by other maternal conditions
P01.1       761.1        | Newborn affected by premature rupture of membranes
P03.4       763.4        | Newborn affected by Cesarean delivery
P96.1       779.5        | Neonatal withdrawal symptoms from maternal use of drugs of addiction
P96.83      779.84       | Meconium staining
P80.9       778.3        | Hypothermia of newborn, unspecified
P81.9       778.4        | Disturbance of temperature regulation of newborn, unspecified
P83.5       778.6   sex=M | Congenital hydrocele
P54.6       772.8   sex=F | Neonatal vaginal hemorrhage
Q38.1       750.0        | Ankyloglossia
Z41.2       V50.2   w=4 sex=M | Encounter for routine and ritual male circumcision
Z23         V06.8   w=6  | Encounter for immunization
R01.1       785.2        | Cardiac murmur, unspecified
Q40.0       750.5        | Congenital hypertrophic pyloric stenosis
R10.83      789.7        | Colic

@pediatric_acute episode age=0-17
J21.{0,1,8,9} 466.1{1,9,9,9} w=3 age=0-4 | Acute bronchiolitis due to {respiratory syncytial virus;human metapneumovirus;other specified organisms;unspecified}
J05.0       464.4   w=2  age=1-11 | Acute obstructive laryngitis [croup]
J06.9       465.9   w=3  | Acute upper respiratory infection, unspecified
J02.9       462     w=1  | Acute pharyngitis, unspecified
J02.0       034.0   w=1  age=2-17 | Streptococcal pharyngitis
J03.90      463          age=2-17 | Acute tonsillitis, unspecified
H66.9{0,1,2,3} 382.9 w=2 | Otitis media, unspecified, {unspecified ear;right ear;left ear;bilateral}
H66.00{1,2,3} 382.00    | Acute suppurative otitis media without spontaneous rupture of ear drum, {right;left;bilateral}
H65.0{1,2,3} 381.01     | Acute serous otitis media, {right;left;bilateral} ear
A08.4       008.8   w=2  | Viral intestinal infection, unspecified
A08.0       008.61       | Rotaviral enteritis
A09         009.0   w=1  | Infectious gastroenteritis and colitis, unspecified
R50.9       780.60  w=3  | Fever, unspecified
R56.0{0,1}  780.3{1,2}   age=0-4 | {Simple;Complex} febrile convulsions
B08.4       074.3        age=1-11 | Enteroviral vesicular stomatitis with exanthem
B08.20      058.10       age=0-4 | Exanthema subitum [sixth disease], unspecified
B01.9       052.9        | Varicella without complication
J10.1       487.1        | Influenza due to other identified influenza virus with other respiratory manifestations
J11.1       487.1        | Influenza due to unidentified influenza virus with other respiratory manifestations
E86.0       276.51  w=2  | Dehydration
K35.80      540.9        age=5-17 | Unspecified acute appendicitis
K37         541          age=5-17 | Unspecified appendicitis
K56.1       560.0        age=0-4 | Intussusception
R11.10      787.03  w=1  | Vomiting, unspecified
R10.9       789.00  w=1  | Unspecified abdominal pain
S42.00{1,2}A 810.00     age=1-17 | Fracture of unspecified part of {right;left} clavicle, initial encounter for closed fracture
S52.52{1,2}A 813.45     age=1-17 | Torus fracture of lower end of {right;left} radius, initial encounter for closed fracture
S42.41{1,2}A 812.41     age=1-17 | Displaced simple supracondylar fracture without intercondylar fracture of {right;left} humerus, initial encounter for closed fracture
S00.03XA    920          | Contusion of scalp, initial encounter
S09.90XA    959.01  w=1  | Unspecified injury of head, initial encounter
S06.0X0A    850.0   w=1  age=1-17 | Concussion without loss of consciousness, initial encounter
T74.{0,1,2,3}2XA 995.5{2,4,3,1} | Child {neglect or abandonment;physical abuse;sexual abuse;psychological abuse}, confirmed, initial encounter
T76.12XA    995.54       | Child physical abuse, suspected, initial encounter
J45.901     493.92  w=1  age=2-17 | Unspecified asthma with (acute) exacerbation
J45.902     493.91       age=2-17 | Unspecified asthma with status asthmaticus
E10.10      250.11       age=2-17 | Type 1 diabetes mellitus with ketoacidosis without coma
N39.0       599.0   w=1  | Urinary tract infection, site not specified
L01.00      684          age=1-11 | Impetigo, unspecified
B86         133.0        age=1-17 | Scabies
Z20.818     V01.89       | Contact with and (suspected) exposure to other bacterial communicable diseases
Z71.3       V65.3        age=2-17 | Dietary counseling and surveillance
@infection episode
A41.9       038.9   w=20 | Sepsis, unspecified organism
A41.51      038.42  w=3  | Sepsis due to Escherichia coli [E. coli]
A41.01      038.11  w=1  | Sepsis due to Methicillin susceptible Staphylococcus aureus
A41.02      038.12  w=1  | Sepsis due to Methicillin resistant Staphylococcus aureus
A41.89      038.8   w=1  | Other specified sepsis
A41.50      038.40  w=1  | Gram-negative sepsis, unspecified
A41.59      038.49       | Other Gram-negative sepsis
A41.52      038.43       | Sepsis due to Pseudomonas
A41.53      038.44       | Sepsis due to Serratia
A41.3       038.41       | Sepsis due to Hemophilus influenzae
A41.81      038.8        | Sepsis due to Enterococcus
A40.3       038.2        | Sepsis due to Streptococcus pneumoniae
A40.9       038.0        | Streptococcal sepsis, unspecified
R65.20      995.92  w=6  | Severe sepsis without septic shock
R65.21      785.52  w=6  | Severe sepsis with septic shock
R78.81      790.7   w=1  | Bacteremia
N39.0       599.0   w=14 | Urinary tract infection, site not specified
B96.20      041.49  w=4  | Unspecified Escherichia coli [E. coli] as the cause of diseases classified elsewhere
B96.1       041.3   w=1  | Klebsiella pneumoniae [K. pneumoniae] as the cause of diseases classified elsewhere
B96.5       041.7   w=1  | Pseudomonas (aeruginosa) (mallei) (pseudomallei) as the cause of diseases classified elsewhere
B95.2       041.04  w=1  | Enterococcus as the cause of diseases classified elsewhere
B95.61      041.11  w=1  | Methicillin susceptible Staphylococcus aureus infection as the cause of diseases classified elsewhere
B95.62      041.12  w=1  | Methicillin resistant Staphylococcus aureus infection as the cause of diseases classified elsewhere
B95.4       041.09       | Other streptococcus as the cause of diseases classified elsewhere
B95.7       041.19       | Other staphylococcus as the cause of diseases classified elsewhere
B96.89      041.89       | Other specified bacterial agents as the cause of diseases classified elsewhere
A04.72      008.45  w=3  | Enterocolitis due to Clostridium difficile, not specified as recurrent
A04.71      008.45       | Enterocolitis due to Clostridium difficile, recurrent
A49.9       041.9        | Bacterial infection, unspecified
A49.02      041.12       | Methicillin resistant Staphylococcus aureus infection, unspecified site
A49.01      041.11       | Methicillin susceptible Staphylococcus aureus infection, unspecified site
N10         590.10  w=2  | Acute pyelonephritis
N30.0{0,1}  595.0   w=1  | Acute cystitis {without;with} hematuria
N30.90      595.9        | Cystitis, unspecified without hematuria
I33.0       421.0        age=18-124 | Acute and subacute infective endocarditis
T82.7XXA    996.62       age=18-124 | Infection and inflammatory reaction due to other cardiac and vascular devices, implants and grafts, initial encounter
T82.6XXA    996.61       age=18-124 | Infection and inflammatory reaction due to cardiac valve prosthesis, initial encounter
T80.211A    999.32       | Bloodstream infection due to central venous catheter, initial encounter
T81.4XXA    998.59  w=2  | Infection following a procedure, initial encounter
T83.51{0,1,8}A 996.64   age=18-124 | Infection and inflammatory reaction due to {cystostomy catheter;indwelling urethral catheter;other urinary catheter}, initial encounter
T84.5{0,1,2,3,4}XA 996.66 age=35-124 | Infection and inflammatory reaction due to {unspecified internal joint;internal right hip;internal left hip;internal right knee;internal left knee} prosthesis, initial encounter
M86.9       730.20       | Osteomyelitis, unspecified
M86.17{1,2} 730.07       age=18-124 | Other acute osteomyelitis, {right;left} ankle and foot
M00.9       711.00       | Pyogenic arthritis, unspecified
G03.9       322.9        | Meningitis, unspecified
G00.9       320.9        | Bacterial meningitis, unspecified
A87.9       047.9        | Viral meningitis, unspecified
B00.4       054.3        | Herpesviral encephalitis
B44.9       117.3        age=18-124 | Aspergillosis, unspecified
B34.9       079.99  w=1  | Viral infection, unspecified
B97.4       079.6        | Respiratory syncytial virus as the cause of diseases classified elsewhere
K65.{0,1,2,9} 567.{21,22,23,9} | {Generalized (acute) peritonitis;Peritoneal abscess;Spontaneous bacterial peritonitis;Peritonitis, unspecified}
K81.0       575.0   w=1  | Acute cholecystitis
K80.00      574.00  w=1  | Calculus of gallbladder with acute cholecystitis without obstruction
K57.20      562.11       age=18-124 | Diverticulitis of large intestine with perforation and abscess without bleeding
K57.32      562.11  w=1  age=18-124 | Diverticulitis of large intestine without perforation or abscess without bleeding
K61.{0,1}   566          | {Anal;Rectal} abscess
Z16.{10,24} V09.{0,80}   | Resistance to {unspecified beta lactam antibiotics;multiple antibiotics}
Z20.828     V01.79       | Contact with and (suspected) exposure to other viral communicable diseases
Z11.59      V73.89       | Encounter for screening for other viral diseases

@respiratory_acute episode
J18.9       486     w=16 | Pneumonia, unspecified organism
J18.1       481          | Lobar pneumonia, unspecified organism
J15.9       482.9   w=1  | Unspecified bacterial pneumonia
J15.1       482.1        | Pneumonia due to Pseudomonas
J15.21{1,2} 482.4{1,2}   | Pneumonia due to {Methicillin susceptible;Methicillin resistant} Staphylococcus aureus
J15.0       482.0        | Pneumonia due to Klebsiella pneumoniae
J15.6       482.83       | Pneumonia due to other Gram-negative bacteria
J13         481          | Pneumonia due to Streptococcus pneumoniae
J69.0       507.0   w=5  | Pneumonitis due to inhalation of food and vomit
J12.9       480.9        | Viral pneumonia, unspecified
J12.89      480.8        | Other viral pneumonia
J10.00      487.0        | Influenza due to other identified influenza virus with unspecified type of pneumonia
J11.00      487.0        | Influenza due to unidentified influenza virus with unspecified type of pneumonia
J22         519.8        | Unspecified acute lower respiratory infection
J20.9       466.0   w=1  | Acute bronchitis, unspecified
J40         490          | Bronchitis, not specified as acute or chronic
J85.1       513.0        | Abscess of lung with pneumonia
J86.9       510.9        | Pyothorax without fistula
J90         511.9   w=5  | Pleural effusion, not elsewhere classified
J96.0{0,1,2} 518.81 w=8  age=18-124 | Acute respiratory failure, {unspecified whether with hypoxia or hypercapnia;with hypoxia;with hypercapnia}
J96.2{0,1,2} 518.84 w=3  age=18-124 | Acute and chronic respiratory failure, {unspecified whether with hypoxia or hypercapnia;with hypoxia;with hypercapnia}
J80         518.82  w=2  | Acute respiratory distress syndrome
J81.0       518.4   w=2  age=18-124 | Acute pulmonary edema
J93.{11,9}  512.{81,89}   | {Primary spontaneous pneumothorax;Pneumothorax, unspecified}
J95.821     518.51       age=18-124 | Acute postprocedural respiratory failure
J98.11      518.0   w=3  | Atelectasis
J95.851     997.31       age=18-124 | Ventilator associated pneumonia
R06.0{0,2,3,9} 786.0{5,5,6,9} w=2 | {Dyspnea, unspecified;Shortness of breath;Acute respiratory distress;Other forms of dyspnea}
R09.02      799.02  w=4  | Hypoxemia
R04.2       786.30       | Hemoptysis
R05         786.2   w=1  | Cough
I26.99      415.19  w=3  age=18-124 | Other pulmonary embolism without acute cor pulmonale
I26.09      415.19       age=18-124 | Other pulmonary embolism with acute cor pulmonale
I26.92      415.19       age=18-124 | Saddle embolus of pulmonary artery without acute cor pulmonale
Z99.11      V46.11  w=1  age=18-124 | Dependence on respirator [ventilator] status
Z93.0       V44.0        age=18-124 | Tracheostomy status
J94.8       511.89       | Other specified pleural conditions

@cardiac_acute episode age=18-124
I21.{01,02,09} 410.11   w=2  | ST elevation (STEMI) myocardial infarction involving {left main coronary artery;left anterior descending coronary artery;other coronary artery of anterior wall}
I21.{11,19} 410.41       w=1  | ST elevation (STEMI) myocardial infarction involving {right coronary artery;other coronary artery of inferior wall}
I21.21      410.51       | ST elevation (STEMI) myocardial infarction involving left circumflex coronary artery
I21.29      410.81       | ST elevation (STEMI) myocardial infarction involving other sites
I21.3       410.91       | ST elevation (STEMI) myocardial infarction of unspecified site
I21.4       410.71  w=8  | Non-ST elevation (NSTEMI) myocardial infarction
I21.A1      410.71  w=1  | Myocardial infarction type 2
I24.9       411.89       | Acute ischemic heart disease, unspecified
I20.0       411.1   w=2  | Unstable angina
I46.9       427.5   w=2  | Cardiac arrest, cause unspecified
I49.01      427.41  w=1  | Ventricular fibrillation
I47.2       427.1   w=1  | Ventricular tachycardia
I51.81      429.83       | Takotsubo syndrome
I31.3       423.9   w=1  | Pericardial effusion (noninflammatory)
I30.9       420.90       | Acute pericarditis, unspecified
I40.9       422.90       | Acute myocarditis, unspecified
I50.{21,23} 428.{21,23} w=3 | {Acute;Acute on chronic} systolic (congestive) heart failure
I50.{31,33} 428.{31,33} w=3 | {Acute;Acute on chronic} diastolic (congestive) heart failure
I50.{41,43} 428.{41,43} w=1 | {Acute;Acute on chronic} combined systolic and diastolic heart failure
R00.1       427.89  w=2  | Bradycardia, unspecified
R00.0       785.0   w=1  | Tachycardia, unspecified
R07.9       786.50  w=3  | Chest pain, unspecified
R07.89      786.59  w=2  | Other chest pain
R07.2       786.51       | Precordial pain
R55         780.2   w=3  | Syncope and collapse
I95.1       458.0        | Orthostatic hypotension
I95.9       458.9   w=3  | Hypotension, unspecified
R57.{0,1,9} 785.5{1,9,0} w=1 | {Cardiogenic shock;Hypovolemic shock;Shock, unspecified}
I82.40{1,2,9} 453.40    w=1  | Acute embolism and thrombosis of unspecified deep veins of {right;left;unspecified} lower extremity
I82.41{1,2} 453.41       | Acute embolism and thrombosis of {right;left} femoral vein
I82.43{1,2} 453.41       | Acute embolism and thrombosis of {right;left} popliteal vein
I82.44{1,2} 453.42       | Acute embolism and thrombosis of {right;left} tibial vein
I82.62{1,2} 453.82       | Acute embolism and thrombosis of deep veins of {right;left} upper extremity
I74.3       444.22       | Embolism and thrombosis of arteries of the lower extremities
I71.0{0,1,2,3} 441.0{0,1,2,3} | Dissection of {unspecified site of aorta;thoracic aorta;abdominal aorta;thoracoabdominal aorta}
T82.855A    996.74       | Stenosis of coronary artery stent, initial encounter
T82.857A    996.74       | Stenosis of other cardiac prosthetic devices, implants and grafts, initial encounter
I97.89      997.1        | Other postprocedural complications and disorders of the circulatory system, not elsewhere classified
R94.31      794.31  w=1  | Abnormal electrocardiogram [ECG] [EKG]
R77.8       790.99       | Other specified abnormalities of plasma proteins
R79.89      790.99       | Other specified abnormal findings of blood chemistry
Z95.1       V45.81       | Presence of aortocoronary bypass graft
Z95.5       V45.82       | Presence of coronary angioplasty implant and graft

@stroke episode age=18-124
I63.9       434.91  w=8  | Cerebral infarction, unspecified
I63.50      434.91  w=1  | Cerebral infarction due to unspecified occlusion or stenosis of unspecified cerebral artery
I63.51{1,2} 434.91  w=2  | Cerebral infarction due to unspecified occlusion or stenosis of {right;left} middle cerebral artery
I63.41{1,2} 434.11  w=1  | Cerebral infarction due to embolism of {right;left} middle cerebral artery
I63.31{1,2} 434.01       | Cerebral infarction due to thrombosis of {right;left} middle cerebral artery
I63.81      434.91       | Other cerebral infarction due to occlusion or stenosis of small artery
I63.89      434.91       | Other cerebral infarction
I63.40      434.11       | Cerebral infarction due to embolism of unspecified cerebral artery
I63.30      434.01       | Cerebral infarction due to thrombosis of unspecified cerebral artery
I61.{0,1,3,4,5,6,9} 431 w=2 | Nontraumatic intracerebral hemorrhage {in hemisphere, subcortical;in hemisphere, cortical;in brain stem;in cerebellum;intraventricular;multiple localized;unspecified}
I60.9       430     w=1  | Nontraumatic subarachnoid hemorrhage, unspecified
I60.7       430          | Nontraumatic subarachnoid hemorrhage from unspecified intracranial artery
I62.00      432.1        | Nontraumatic subdural hemorrhage, unspecified
I62.9       432.9        | Nontraumatic intracranial hemorrhage, unspecified
G45.9       435.9   w=3  | Transient cerebral ischemic attack, unspecified
G45.0       435.3        | Vertebro-basilar artery syndrome
I65.2{1,2,3,9} 433.10 w=1 | Occlusion and stenosis of {right;left;bilateral;unspecified} carotid artery
I67.2       437.0        age=35-124 | Cerebral atherosclerosis
I67.89      437.8        | Other cerebrovascular disease
R47.01      784.3   w=2  | Aphasia
R47.1       784.51  w=1  | Dysarthria and anarthria
R13.1{0,2,9} 787.2{0,1,9} w=2 | Dysphagia, {unspecified;oropharyngeal phase;other}
R29.810     781.94  w=1  | Facial weakness
R29.7{00..42} -     w=3  | NIHSS score {00..42}
G93.6       348.5        | Cerebral edema
G93.5       348.4        | Compression of brain
Z92.82      V45.88       | Status post administration of tPA (rtPA) in a different facility within the last 24 hours prior to admission to current facility
I69.{351,352} 438.2{1,2} | Hemiplegia and hemiparesis following cerebral infarction affecting {right;left} dominant side
R53.1       799.3   w=2  | Weakness
R26.89      781.2        | Other abnormalities of gait and mobility

@gi_acute episode
K92.2       578.9   w=5  | Gastrointestinal hemorrhage, unspecified
K92.0       578.0   w=1  | Hematemesis
K92.1       578.1   w=2  | Melena
K62.5       569.3   w=1  | Hemorrhage of anus and rectum
K25.{0,4,9} 531.{00,40,90} | {Acute gastric ulcer with hemorrhage;Chronic or unspecified gastric ulcer with hemorrhage;Gastric ulcer, unspecified as acute or chronic, without hemorrhage or perforation}
K26.{0,4,9} 532.{00,40,90} | {Acute duodenal ulcer with hemorrhage;Chronic or unspecified duodenal ulcer with hemorrhage;Duodenal ulcer, unspecified as acute or chronic, without hemorrhage or perforation}
K29.{00,01,70,71,20,50} 535.{00,01,50,51,30,10} | {Acute gastritis without bleeding;Acute gastritis with bleeding;Gastritis, unspecified, without bleeding;Gastritis, unspecified, with bleeding;Alcoholic gastritis without bleeding;Unspecified chronic gastritis without bleeding}
K22.6       530.7        | Gastro-esophageal laceration-hemorrhage syndrome
K31.811     537.83       | Angiodysplasia of stomach and duodenum with bleeding
K55.2{0,1}  569.8{4,5}   | Angiodysplasia of colon {without;with} hemorrhage
K55.9       557.9        | Vascular disorder of intestine, unspecified
K85.{90,91,92} 577.0 w=3 | Acute pancreatitis {without necrosis or infection;with uninfected necrosis;with infected necrosis}, unspecified
K85.{10,20,80} 577.0 w=1 | {Biliary;Alcohol induced;Other} acute pancreatitis without necrosis or infection
K56.{0,7,699} 560.{1,9,89} w=2 | {Paralytic ileus;Ileus, unspecified;Other intestinal obstruction}
K56.60{0,1,9} 560.9 w=1  | {Partial;Complete;Unspecified as to partial versus complete} intestinal obstruction, unspecified as to cause
K56.5{0,1,2} 560.81      | Intestinal adhesions [bands]{, unspecified as to partial versus complete obstruction; with partial obstruction; with complete obstruction}
K80.50      574.50       | Calculus of bile duct without cholangitis or cholecystitis without obstruction
K83.1       576.2        | Obstruction of bile duct
K83.09      576.1        | Other cholangitis
K35.80      540.9        age=18-124 | Unspecified acute appendicitis
K35.2{0,1}  540.0        age=18-124 | Acute appendicitis with generalized peritonitis, {without;with} abscess
K63.1       569.83       | Perforation of intestine (nontraumatic)
K72.{00,01} 570          age=18-124 | Acute and subacute hepatic failure {without;with} coma
K72.{90,91} 572.{8,2}    age=18-124 | Hepatic failure, unspecified {without;with} coma
K76.7       572.4        age=18-124 | Hepatorenal syndrome
I85.11      456.20       age=18-124 | Secondary esophageal varices with bleeding
R18.8       789.59  w=2  | Other ascites
R11.{0,10,2} 787.0{2,3,1} w=3 | {Nausea;Vomiting, unspecified;Nausea with vomiting, unspecified}
R10.{9,13,31,84,11} 789.0{0,6,3,7,1} w=3 | {Unspecified abdominal pain;Epigastric pain;Right lower quadrant pain;Generalized abdominal pain;Right upper quadrant pain}
R19.7       787.91  w=2  | Diarrhea, unspecified
R19.5       792.1        | Other fecal abnormalities
D62         285.1   w=4  | Acute posthemorrhagic anemia
K91.89      997.49       | Other postprocedural complications and disorders of digestive system
K94.22      536.41       | Gastrostomy infection
Z87.11      V12.71       | Personal history of peptic ulcer disease
K20.9       530.10       | Esophagitis, unspecified
K52.89      558.9        | Other specified noninfective gastroenteritis and colitis
@renal_acute episode age=18-124
N17.9       584.9   w=14 | Acute kidney failure, unspecified
N17.0       584.5   w=3  | Acute kidney failure with tubular necrosis
N17.8       584.8        | Other acute kidney failure
R39.2       788.99       | Extrarenal uremia
E87.{0,1,2,3,4,5,6,8} 276.{0,1,2,3,4,7,8,9} w=4 | {Hyperosmolality and hypernatremia;Hypo-osmolality and hyponatremia;Acidosis;Alkalosis;Mixed disorder of acid-base balance;Hyperkalemia;Hypokalemia;Other disorders of electrolyte and fluid balance, not elsewhere classified}
E87.7{0,1,9} 276.6{9,1,9} w=2 | {Fluid overload, unspecified;Transfusion associated circulatory overload;Other fluid overload}
E86.{0,1,9} 276.5{1,2,0} w=3 | {Dehydration;Hypovolemia;Volume depletion, unspecified}
R31.{0,9}   599.7{1,0}   | {Gross hematuria;Hematuria, unspecified}
R33.9       788.20       | Retention of urine, unspecified
N28.0       593.81       | Ischemia and infarction of kidney
T86.11      996.81       | Kidney transplant rejection
T82.{858,868}A 996.7{4,4} | {Stenosis;Thrombosis} of vascular prosthetic devices, implants and grafts, initial encounter
Z49.01      V56.1        | Encounter for fitting and adjustment of extracorporeal dialysis catheter
Z99.2       V45.11       | Dependence on renal dialysis
E83.52      275.42       | Hypercalcemia
E83.41      275.2        | Hypermagnesemia
E83.39      275.3        | Other disorders of phosphorus metabolism
N20.0       592.0   w=1  | Calculus of kidney
N13.2       591          | Hydronephrosis with renal and ureteral calculous obstruction
N13.6       590.80        | Pyonephrosis
R34         788.5        | Anuria and oliguria
R80.9       791.0        | Proteinuria, unspecified
R82.90      791.9        | Unspecified abnormal findings in urine
M62.82      728.88       | Rhabdomyolysis

@injury episode
W19.XXXA    E888.9  w=14 | Unspecified fall, initial encounter
W18.30XA    E885.9  w=2  | Fall on same level, unspecified, initial encounter
W01.0XXA    E885.9  w=3  | Fall on same level from slipping, tripping and stumbling without subsequent striking against object, initial encounter
W10.9XXA    E880.9  w=1  | Fall (on) (from) unspecified stairs and steps, initial encounter
W06.XXXA    E884.4  w=1  | Fall from bed, initial encounter
W05.0XXA    E884.3       | Fall from non-moving wheelchair, initial encounter
W11.XXXA    E881.0       | Fall on and from ladder, initial encounter
W17.89XA    E884.9       | Other fall from one level to another, initial encounter
V43.52XA    E812.0  w=1  age=15-124 | Car driver injured in collision with other type car in traffic accident, initial encounter
V43.62XA    E812.1       age=15-124 | Car passenger injured in collision with other type car in traffic accident, initial encounter
V89.2XXA    E819.9  w=2  | Person injured in unspecified motor-vehicle accident, traffic, initial encounter
V28.4XXA    E816.2       age=15-124 | Motorcycle driver injured in noncollision transport accident in traffic accident, initial encounter
V00.131A    E885.2       age=5-124  | Fall from skateboard, initial encounter
V03.10XA    E814.7       | Pedestrian on foot injured in collision with car, pick-up truck or van in traffic accident, initial encounter
W22.8XXA    E917.9       | Striking against or struck by other objects, initial encounter
W54.0XXA    E906.0       | Bitten by dog, initial encounter
X58.XXXA    E928.9       | Exposure to other specified factors, initial encounter
Y92.009     E849.0  w=4  | Unspecified place in unspecified non-institutional (private) residence as the place of occurrence of the external cause
Y92.{012,013} E849.0 w=1 | {Bathroom;Bedroom} of single-family (private) house as the place of occurrence of the external cause
Y92.129     E849.7       age=56-124 | Unspecified place in nursing home as the place of occurrence of the external cause
Y92.410     E849.5       | Unspecified street and highway as the place of occurrence of the external cause
Y92.9       E849.9  w=2  | Unspecified place or not applicable
Y93.01      E001.0       | Activity, walking, marching and hiking
Y99.8       E000.8  w=1  | Other external cause status
Y04.0XXA    E960.0       age=15-124 | Assault by unarmed brawl or fight, initial encounter
X99.9XXA    E966         age=15-124 | Assault by unspecified sharp object, initial encounter
X95.9XXA    E965.4       age=15-124 | Assault by unspecified firearm discharge, initial encounter
S72.0{01,02}A 820.8 w=5 age=45-124 | Fracture of unspecified part of neck of {right;left} femur, initial encounter for closed fracture
S72.09{1,2}A 820.09      age=45-124 | Other fracture of head and neck of {right;left} femur, initial encounter for closed fracture
S72.14{1,2}A 820.21 w=2  age=45-124 | Displaced intertrochanteric fracture of {right;left} femur, initial encounter for closed fracture
S72.3{01,02}A 821.01     | Unspecified fracture of shaft of {right;left} femur, initial encounter for closed fracture
S72.4{01,02}A 821.20     | Unspecified fracture of lower end of {right;left} femur, initial encounter for closed fracture
S32.0{1,2,3,4,5}0A 805.4 w=1 | Wedge compression fracture of {first;second;third;fourth;fifth} lumbar vertebra, initial encounter for closed fracture
S22.0{5,6,7,8}0A 805.2   | Wedge compression fracture of {T5-T6;T7-T8;T9-T10;T11-T12} vertebra, initial encounter for closed fracture
S12.{0,1,2,3,4,5,6}00A 805.0{1,2,3,4,5,6,7} | Unspecified displaced fracture of {first;second;third;fourth;fifth;sixth;seventh} cervical vertebra, initial encounter for closed fracture
S32.{10XA,2XXA} 805.{6,8}   | Fracture of {sacrum;coccyx}, unspecified, initial encounter for closed fracture
S32.5{91,92}A 808.2      | Other specified fracture of {right;left} pubis, initial encounter for closed fracture
S32.8{10,11}A 808.43     | Multiple fractures of pelvis with {stable;unstable} disruption of pelvic ring, initial encounter for closed fracture
S22.3{1,2}XA 807.0{1,1}  | Fracture of one rib, {right;left} side, initial encounter for closed fracture
S22.4{1,2,3}XA 807.0{9,9,9} | Multiple fractures of ribs, {right;left;bilateral} side, initial encounter for closed fracture
S42.2{01,02}A 812.20     | Unspecified fracture of upper end of {right;left} humerus, initial encounter for closed fracture
S42.30{1,2}A 812.20      | Unspecified fracture of shaft of humerus, {right;left} arm, initial encounter for closed fracture
S52.5{01,02}A 813.42 w=2 | Unspecified fracture of the lower end of {right;left} radius, initial encounter for closed fracture
S52.53{1,2}A 813.41      | Colles' fracture of {right;left} radius, initial encounter for closed fracture
S52.6{01,02}A 813.43     | Unspecified fracture of lower end of {right;left} ulna, initial encounter for closed fracture
S62.10{1,2}A 814.00      | Fracture of unspecified carpal bone, {right;left} wrist, initial encounter for closed fracture
S62.30{0,1}A 815.00     | Unspecified fracture of second metacarpal bone, {right;left} hand, initial encounter for closed fracture
S82.8{41,42}A 824.4      | Displaced bimalleolar fracture of {right;left} lower leg, initial encounter for closed fracture
S82.5{1,2}XA 824.0       | Displaced fracture of medial malleolus of {right;left} tibia, initial encounter for closed fracture
S82.6{1,2}XA 824.2       | Displaced fracture of lateral malleolus of {right;left} fibula, initial encounter for closed fracture
S82.1{01,02}A 823.00     | Unspecified fracture of upper end of {right;left} tibia, initial encounter for closed fracture
S82.2{01,02}A 823.20     | Unspecified fracture of shaft of {right;left} tibia, initial encounter for closed fracture
S82.4{01,02}A 823.21     | Unspecified fracture of shaft of {right;left} fibula, initial encounter for closed fracture
S92.3{01,02}A 825.25     | Fracture of unspecified metatarsal bone(s), {right;left} foot, initial encounter for closed fracture
S92.0{01,02}A 825.0      | Fracture of unspecified part of {right;left} calcaneus, initial encounter for closed fracture
S02.{0XXA,2XXA,609A,92XA} 80{0.00,2.0,2.20,4.00} | {Fracture of vault of skull;Fracture of nasal bones;Fracture of mandible, unspecified;Unspecified fracture of facial bones}, initial encounter for closed fracture
S06.0X{0,1,9}A 850.{0,11,9} w=3 | Concussion {without loss of consciousness;with loss of consciousness of 30 minutes or less;with loss of consciousness of unspecified duration}, initial encounter
S06.5X{0,1,9}A 852.2{1,2,9} w=3 | Traumatic subdural hemorrhage {without loss of consciousness;with loss of consciousness of 30 minutes or less;with loss of consciousness of unspecified duration}, initial encounter
S06.6X{0,1,9}A 852.0{1,2,9} w=2 | Traumatic subarachnoid hemorrhage {without loss of consciousness;with loss of consciousness of 30 minutes or less;with loss of consciousness of unspecified duration}, initial encounter
S06.4X{0,9}A 852.4{1,9}  | Epidural hemorrhage {without loss of consciousness;with loss of consciousness of unspecified duration}, initial encounter
S06.3{3,4,5}0A 851.{81,81,81} | {Contusion and laceration of cerebrum, unspecified;Traumatic hemorrhage of right cerebrum;Traumatic hemorrhage of left cerebrum} without loss of consciousness, initial encounter
S06.9X0A    854.01       | Unspecified intracranial injury without loss of consciousness, initial encounter
S06.2X0A    851.81       | Diffuse traumatic brain injury without loss of consciousness, initial encounter
S01.{01XA,81XA,111A,112A,411A,412A,511A} 87{3.0,3.8,0.0,0.0,3.40,3.40,3.43} | Laceration without foreign body of {scalp;other part of head;right eyelid and periocular area;left eyelid and periocular area;right cheek and temporomandibular area;left cheek and temporomandibular area;lip}, initial encounter
S61.{411,412,011,012,210,211}A 88{2.0,2.0,3.0,3.0,3.0,3.0} | Laceration without foreign body of {right hand;left hand;right thumb without damage to nail;left thumb without damage to nail;right index finger without damage to nail;left index finger without damage to nail}, initial encounter
S81.8{11,12}A 891.0      | Laceration without foreign body, {right;left} lower leg, initial encounter
S51.8{11,12}A 881.00     | Laceration without foreign body of {right;left} forearm, initial encounter
S00.{03,83,93}XA 92{0,0,0} | Contusion of {scalp;other part of head;unspecified part of head}, initial encounter
S20.21{1,2}A 922.1       | Contusion of {right;left} front wall of thorax, initial encounter
S30.0XXA    922.32       | Contusion of lower back and pelvis, initial encounter
S40.01{1,2}A 923.00      | Contusion of {right;left} shoulder, initial encounter
S70.0{1,2}XA 924.01      | Contusion of {right;left} hip, initial encounter
S80.0{1,2}XA 924.11      | Contusion of {right;left} knee, initial encounter
S93.40{1,2}A 845.00 w=1  | Sprain of unspecified ligament of {right;left} ankle, initial encounter
S83.9{1,2}XA 844.9       | Sprain of unspecified site of {right;left} knee, initial encounter
S13.4XXA    847.0   w=1  | Sprain of ligaments of cervical spine, initial encounter
S33.5XXA    847.2        | Sprain of ligaments of lumbar spine, initial encounter
S27.{0,1,2}XXA 86{0.0,0.2,0.4} | {Traumatic pneumothorax;Traumatic hemothorax;Traumatic hemopneumothorax}, initial encounter
S36.11{4,5,6}A 864.0{2,3,4} | {Minor;Moderate;Major} laceration of liver, initial encounter
S36.03{2,9}A 865.0{3,4} | {Major laceration;Unspecified laceration} of spleen, initial encounter
S37.0{11,12}A 866.01     | Minor contusion of {right;left} kidney, initial encounter
T07.XXXA    959.8        | Unspecified multiple injuries, initial encounter
T14.90XA    959.9        | Injury, unspecified, initial encounter
T22.21{1,2}A 943.2{1,1} | Burn of second degree of {right;left} forearm, initial encounter
T31.{0,10,20} 948.{00,10,20} | Burns involving {less than 10% of body surface;10-19% of body surface with 0% to 9% third degree burns;20-29% of body surface with 0% to 9% third degree burns}
T68.XXXA    991.6        | Hypothermia, initial encounter
T67.0XXA    992.0        | Heatstroke and sunstroke, initial encounter
S09.90XA    959.01  w=2  | Unspecified injury of head, initial encounter
Z04.{1,3}   V71.{4,4}    | Encounter for examination and observation following {transport accident;other accident}
@poisoning episode age=12-124
T40.2X1A    965.09  w=2  | Poisoning by other opioids, accidental (unintentional), initial encounter
T40.1X1A    965.01  w=2  | Poisoning by heroin, accidental (unintentional), initial encounter
T40.4X1A    965.09  w=2  | Poisoning by other synthetic narcotics, accidental (unintentional), initial encounter
T40.601A    965.00       | Poisoning by unspecified narcotics, accidental (unintentional), initial encounter
T40.5X1A    970.81       | Poisoning by cocaine, accidental (unintentional), initial encounter
T39.1X{1,2}A 965.4      w=2  | Poisoning by 4-Aminophenol derivatives, {accidental (unintentional);intentional self-harm}, initial encounter
T39.39{1,2}A 965.69     | Poisoning by other nonsteroidal anti-inflammatory drugs [NSAID], {accidental (unintentional);intentional self-harm}, initial encounter
T42.4X{1,2}A 969.4      w=2  | Poisoning by benzodiazepines, {accidental (unintentional);intentional self-harm}, initial encounter
T43.22{1,2}A 969.03     | Poisoning by selective serotonin reuptake inhibitors, {accidental (unintentional);intentional self-harm}, initial encounter
T43.59{1,2}A 969.3      | Poisoning by other antipsychotics and neuroleptics, {accidental (unintentional);intentional self-harm}, initial encounter
T43.01{1,2}A 969.05     | Poisoning by tricyclic antidepressants, {accidental (unintentional);intentional self-harm}, initial encounter
T51.0X{1,2}A 980.0      w=2  | Toxic effect of ethanol, {accidental (unintentional);intentional self-harm}, initial encounter
T50.90{1,2}A 977.9      w=1  | Poisoning by unspecified drugs, medicaments and biological substances, {accidental (unintentional);intentional self-harm}, initial encounter
T50.99{1,2}A 977.8      | Poisoning by other drugs, medicaments and biological substances, {accidental (unintentional);intentional self-harm}, initial encounter
T46.1X1A    972.4        | Poisoning by calcium-channel blockers, accidental (unintentional), initial encounter
T58.91XA    986          | Toxic effect of carbon monoxide from unspecified source, accidental (unintentional), initial encounter
T45.511A    964.2        | Poisoning by anticoagulants, accidental (unintentional), initial encounter
T45.515A    E934.2  w=2  | Adverse effect of anticoagulants, initial encounter
T38.3X5A    E932.3  w=1  | Adverse effect of insulin and oral hypoglycemic [antidiabetic] drugs, initial encounter
T36.0X5A    E930.0       | Adverse effect of penicillins, initial encounter
T50.905A    E947.9  w=1  | Adverse effect of unspecified drugs, medicaments and biological substances, initial encounter
T46.4X5A    E942.6       | Adverse effect of angiotensin-converting-enzyme inhibitors, initial encounter
T40.2X5A    E935.2  w=1  | Adverse effect of other opioids, initial encounter
T38.0X5A    E932.0  w=1  | Adverse effect of glucocorticoids and synthetic analogues, initial encounter
T88.7XXA    995.29       | Unspecified adverse effect of drug or medicament, initial encounter
T78.40XA    995.3        | Allergy, unspecified, initial encounter
T78.3XXA    995.1        | Angioneurotic edema, initial encounter
T78.2XXA    995.0        | Anaphylactic shock, unspecified, initial encounter
T14.91XA    E958.9  w=1  age=15-124 | Suicide attempt, initial encounter
R45.851     V62.84  w=2  | Suicidal ideations
F10.129     305.00       | Alcohol abuse with intoxication, unspecified
F10.229     303.00  w=1  | Alcohol dependence with intoxication, unspecified
F10.239     291.81  w=1  | Alcohol dependence with withdrawal, unspecified
F11.20      304.00       | Opioid dependence, uncomplicated
F32.9       311     w=1  | Major depressive disorder, single episode, unspecified
R40.20      780.01       | Unspecified coma
R40.4       780.09       | Transient alteration of awareness
G92         349.82       | Toxic encephalopathy
Z91.19      V15.81       | Patient's noncompliance with other medical treatment and regimen
Z91.120     V15.81       | Patient's intentional underdosing of medication regimen due to financial hardship
Z91.14      V15.81       | Patient's other noncompliance with medication regimen
Z65.3       V62.5        | Problems related to other legal circumstances

@skin episode
L03.11{3,4,5,6,9} 682.{3,3,6,6,6} w=3 | Cellulitis of {right upper limb;left upper limb;right lower limb;left lower limb;unspecified part of limb}
L03.90      682.9   w=2  | Cellulitis, unspecified
L03.{311,313,317,211,221} 682.{2,2,5,0,1} | Cellulitis of {abdominal wall;chest wall;buttock;face;neck}
L02.21{1,2,3,4,5,6,9} 682.2 | Cutaneous abscess of {abdominal wall;back [any part, except buttock];chest wall;groin;perineum;umbilicus;trunk, unspecified}
L02.41{1,2,3,4,5,6,9} 682.{3,3,3,3,6,6,9} | Cutaneous abscess of {right axilla;left axilla;right upper limb;left upper limb;right lower limb;left lower limb;limb, unspecified}
L02.91      682.9        | Cutaneous abscess, unspecified
L89.{00,01,02,10,11,12,13,14,15,20,21,22,30,31,32,50,51,52,60,61,62}{0,1,2,3,4,9} 707.0{1,1,1,3,2,2,3,3,3,4,4,4,5,5,5,6,6,6,7,7,7} w=12 age=35-124 | Pressure ulcer of {unspecified elbow;right elbow;left elbow;unspecified part of back;right upper back;left upper back;right lower back;left lower back;sacral region;unspecified hip;right hip;left hip;unspecified buttock;right buttock;left buttock;unspecified ankle;right ankle;left ankle;unspecified heel;right heel;left heel}, {unstageable;stage 1;stage 2;stage 3;stage 4;unspecified stage}
L97.{509,511,512,521,522,411,421,311,321,211,221,909} 707.1{5,5,5,5,5,4,4,3,3,2,2,0} w=3 age=35-124 | Non-pressure chronic ulcer of {other part of unspecified foot with unspecified severity;other part of right foot limited to breakdown of skin;other part of right foot with fat layer exposed;other part of left foot limited to breakdown of skin;other part of left foot with fat layer exposed;right heel and midfoot limited to breakdown of skin;left heel and midfoot limited to breakdown of skin;right ankle limited to breakdown of skin;left ankle limited to breakdown of skin;right calf limited to breakdown of skin;left calf limited to breakdown of skin;unspecified part of unspecified lower leg with unspecified severity}
I96         785.4        age=35-124 | Gangrene, not elsewhere classified
I83.0{12,13,22,23} 454.0 age=35-124 | Varicose veins of {right;right;left;left} lower extremity with ulcer of {1:calf;ankle;calf;ankle}
I87.2       459.81       age=35-124 | Venous insufficiency (chronic) (peripheral)
L08.9       686.9        | Local infection of the skin and subcutaneous tissue, unspecified
L30.9       692.9   w=1  | Dermatitis, unspecified
L53.9       695.9        | Erythematous condition, unspecified
L50.9       708.9        | Urticaria, unspecified
L40.0       696.1        | Psoriasis vulgaris
L72.3       706.2        | Sebaceous cyst
L60.0       703.0        | Ingrowing nail
L98.9       709.9        | Disorder of the skin and subcutaneous tissue, unspecified
R21         782.1   w=1  | Rash and other nonspecific skin eruption
R23.3       782.7        | Spontaneous ecchymoses
R60.0       782.3   w=2  | Localized edema
R60.1       782.3        | Generalized edema
T81.31XA    998.32       | Disruption of external operation (surgical) wound, not elsewhere classified, initial encounter
T81.4XXA    998.59       | Infection following a procedure, initial encounter
Z48.01      V58.30       | Encounter for change or removal of surgical wound dressing
Z87.2       V13.3        | Personal history of diseases of the skin and subcutaneous tissue
@oncology_care episode age=18-124
Z51.11      V58.11  w=12 | Encounter for antineoplastic chemotherapy
Z51.0       V58.0   w=2  | Encounter for antineoplastic radiation therapy
Z51.12      V58.12       | Encounter for antineoplastic immunotherapy
D61.810     284.11  w=2  | Antineoplastic chemotherapy induced pancytopenia
D61.818     284.19  w=1  | Other pancytopenia
D70.1       288.03  w=3  | Agranulocytosis secondary to cancer chemotherapy
R50.81      780.61  w=2  | Fever presenting with conditions classified elsewhere
D64.81      285.3   w=1  | Anemia due to antineoplastic chemotherapy
E88.3       277.88       | Tumor lysis syndrome
R18.0       789.51  w=1  | Malignant ascites
J91.0       511.81  w=1  | Malignant pleural effusion
T45.1X5A    E933.1  w=3  | Adverse effect of antineoplastic and immunosuppressive drugs, initial encounter
T45.1X5D    E933.1       | Adverse effect of antineoplastic and immunosuppressive drugs, subsequent encounter
G89.3       338.3   w=2  | Neoplasm related pain (acute) (chronic)
K12.31      528.01       | Oral mucositis (ulcerative) due to antineoplastic therapy
K52.1       558.2        | Toxic gastroenteritis and colitis
R63.0       783.0   w=2  | Anorexia
R63.4       783.21  w=2  | Abnormal weight loss
R64         799.4        | Cachexia
Z79.899     V58.69  w=2  | Other long term (current) drug therapy
Z45.2       V58.81       | Encounter for adjustment and management of vascular access device
Z95.828     V45.89       | Presence of other vascular implants and grafts
Z51.5       V66.7   w=3  | Encounter for palliative care
Z66         V49.86  w=3  | Do not resuscitate
E87.1       276.1   w=2  | Hypo-osmolality and hyponatremia
E83.52      275.42  w=1  | Hypercalcemia
D69.59      287.49  w=1  | Other secondary thrombocytopenia
D68.9       286.9        | Coagulation defect, unspecified
C79.51      198.5   w=1  | Secondary malignant neoplasm of bone
C78.7       197.7   w=1  | Secondary malignant neoplasm of liver and intrahepatic bile duct
C79.31      198.3   w=1  | Secondary malignant neoplasm of brain
G93.6       348.5        | Cerebral edema
I82.40{1,2} 453.40       | Acute embolism and thrombosis of unspecified deep veins of {right;left} lower extremity

# =====================================================================================
# General clusters: symptoms, findings and status codes added to any visit.
# =====================================================================================
@symptoms general
R50.9       780.60  w=6  | Fever, unspecified
R53.83      780.79  w=3  | Other fatigue
R53.81      799.3   w=3  age=35-124 | Other malaise
R41.82      780.97  w=4  age=18-124 | Altered mental status, unspecified
R41.0       780.09  w=2  age=18-124 | Disorientation, unspecified
F05         293.0   w=3  age=35-124 | Delirium due to known physiological condition
R42         780.4   w=2  | Dizziness and giddiness
R51         784.0   w=2  | Headache
R52         780.96  w=2  | Pain, unspecified
R06.02      786.05  w=3  | Shortness of breath
R05         786.2   w=2  | Cough
R09.02      799.02  w=2  | Hypoxemia
R00.0       785.0   w=2  | Tachycardia, unspecified
R00.1       427.89  w=1  | Bradycardia, unspecified
R03.0       796.2   w=2  age=18-124 | Elevated blood-pressure reading, without diagnosis of hypertension
R11.2       787.01  w=2  | Nausea with vomiting, unspecified
R10.9       789.00  w=2  | Unspecified abdominal pain
R19.7       787.91  w=1  | Diarrhea, unspecified
R63.4       783.21  w=1  | Abnormal weight loss
R63.5       783.1        | Abnormal weight gain
R60.9       782.3   w=2  | Edema, unspecified
R73.9       790.29  w=3  | Hyperglycemia, unspecified
R73.09      790.29  w=1  | Other abnormal glucose
R74.0       790.4   w=2  | Nonspecific elevation of levels of transaminase and lactic acid dehydrogenase [LDH]
R79.1       790.92  w=1  | Abnormal coagulation profile
R78.81      790.7        | Bacteremia
R82.71      791.9        | Bacteriuria
R31.9       599.70  w=1  | Hematuria, unspecified
R39.15      788.63       | Urgency of urination
R35.0       788.41       | Frequency of micturition
R29.6       V15.88  w=1  age=56-124 | Repeated falls
R26.81      781.2   w=1  age=35-124 | Unsteadiness on feet
R26.2       719.7        age=35-124 | Difficulty in walking, not elsewhere classified
R56.9       780.39  w=2  | Unspecified convulsions
R40.0       780.09       | Somnolence
R45.1       799.23       | Restlessness and agitation
R44.3       780.1        | Hallucinations, unspecified
R47.81      784.59       | Slurred speech
R13.10      787.20  w=1  | Dysphagia, unspecified
R18.8       789.59  w=1  age=18-124 | Other ascites
R16.1       789.2        | Splenomegaly, not elsewhere classified
R16.0       789.1        | Hepatomegaly, not elsewhere classified
R17         782.4   w=1  | Unspecified jaundice
R59.0       785.6        | Localized enlarged lymph nodes
R91.8       793.19  w=2  | Other nonspecific abnormal finding of lung field
R91.1       793.11  w=1  | Solitary pulmonary nodule
R93.1       793.2        | Abnormal findings on diagnostic imaging of heart and coronary circulation
R94.31      794.31  w=2  | Abnormal electrocardiogram [ECG] [EKG]
R94.4       794.4        | Abnormal results of kidney function studies
R79.89      790.99  w=1  | Other specified abnormal findings of blood chemistry
R77.0       790.99       | Abnormality of albumin
R70.0       790.1        | Elevated erythrocyte sedimentation rate
R79.0       790.6        | Abnormal level of blood mineral
R90.89      793.0        | Other abnormal findings on diagnostic imaging of central nervous system
R68.89      780.99       | Other general symptoms and signs
R68.83      780.64       | Chills (without fever)
R25.1       781.0        | Tremor, unspecified
R20.2       782.0        | Paresthesia of skin
R20.0       782.0        | Anesthesia of skin
R40.20      780.01       | Unspecified coma
R45.0       799.21       | Nervousness
R45.86      799.24       | Emotional lability
R46.89      V40.39       | Other symptoms and signs involving appearance and behavior
R54         797     w=2  age=56-124 | Age-related physical debility
R62.7       783.7        age=56-124 | Adult failure to thrive
E86.0       276.51  w=3  | Dehydration
E87.1       276.1   w=3  | Hypo-osmolality and hyponatremia
E87.6       276.8   w=3  | Hypokalemia
E87.2       276.2   w=2  | Acidosis
E87.5       276.7   w=1  | Hyperkalemia
E83.42      275.2   w=1  | Hypomagnesemia
E83.39      275.3   w=1  | Other disorders of phosphorus metabolism
D64.9       285.9   w=4  | Anemia, unspecified
D69.6       287.5   w=2  | Thrombocytopenia, unspecified
D72.829     288.60  w=2  | Elevated white blood cell count, unspecified
I95.9       458.9   w=2  | Hypotension, unspecified
J98.11      518.0   w=1  | Atelectasis
J90         511.9   w=1  | Pleural effusion, not elsewhere classified
K59.00      564.00  w=2  | Constipation, unspecified
G47.00      780.52  w=1  age=18-124 | Insomnia, unspecified
F41.9       300.00  w=1  age=12-124 | Anxiety disorder, unspecified
M62.81      728.87  w=1  age=18-124 | Muscle weakness (generalized)
H91.90      389.9        age=56-124 | Unspecified hearing loss, unspecified ear
H35.30      362.50       age=56-124 | Unspecified macular degeneration

@status general
Z79.899     V58.69  w=8  | Other long term (current) drug therapy
Z79.01      V58.61  w=3  age=18-124 | Long term (current) use of anticoagulants
Z79.02      V58.63  w=2  age=18-124 | Long term (current) use of antithrombotics/antiplatelets
Z79.82      V58.66  w=3  age=35-124 | Long term (current) use of aspirin
Z79.4       V58.67  w=2  age=12-124 | Long term (current) use of insulin
Z79.52      V58.65  w=1  age=12-124 | Long term (current) use of systemic steroids
Z79.891     V58.69       age=18-124 | Long term (current) use of opiate analgesic
Z79.1       V58.64       age=18-124 | Long term (current) use of non-steroidal anti-inflammatories (NSAID)
Z79.2       V58.62       | Long term (current) use of antibiotics
Z79.83      V58.68       age=45-124 | Long term (current) use of bisphosphonates
Z79.51      V58.65       | Long term (current) use of inhaled steroids
Z88.0       V14.0   w=4  | Allergy status to penicillin
Z88.1       V14.1        | Allergy status to other antibiotic agents
Z88.2       V14.2   w=1  | Allergy status to sulfonamides
Z88.5       V14.5   w=1  | Allergy status to narcotic agent
Z88.8       V14.8   w=1  | Allergy status to other drugs, medicaments and biological substances
Z88.6       V14.6        | Allergy status to analgesic agent
Z91.013     V15.04       | Allergy to seafood
Z91.010     V15.01       | Allergy to peanuts
Z91.041     V15.06       | Radiographic dye allergy status
Z91.048     V15.09       | Other nonmedicinal substance allergy status
Z91.81      V15.88  w=2  age=45-124 | History of falling
Z91.19      V15.81  w=1  | Patient's noncompliance with other medical treatment and regimen
Z87.891     V15.82  w=4  age=18-124 | Personal history of nicotine dependence
Z87.440     V13.02       | Personal history of urinary (tract) infections
Z87.442     V13.01       | Personal history of urinary calculi
Z87.01      V12.61       age=12-124 | Personal history of pneumonia (recurrent)
Z86.19      V12.09       | Personal history of other infectious and parasitic diseases
Z86.79      V12.59       age=18-124 | Personal history of other diseases of the circulatory system
Z86.39      V12.29       | Personal history of other endocrine, nutritional and metabolic disease
Z86.59      V11.8        age=12-124 | Personal history of other mental and behavioral disorders
Z85.9       V10.90       age=18-124 | Personal history of malignant neoplasm, unspecified
Z85.828     V10.83       age=18-124 | Personal history of other malignant neoplasm of skin
Z87.19      V12.79       | Personal history of other diseases of the digestive system
Z87.39      V13.59       | Personal history of other diseases of the musculoskeletal system and connective tissue
Z87.81      V15.51       | Personal history of (healed) traumatic fracture
Z92.89      V15.89       | Personal history of other medical treatment
Z90.49      V45.79       age=18-124 | Acquired absence of other specified parts of digestive tract
Z90.5       V45.73       | Acquired absence of kidney
Z90.81      V45.79       | Acquired absence of spleen
Z89.51{1,2} V49.75       age=35-124 | Acquired absence of {right;left} leg below knee
Z89.61{1,2} V49.76       age=35-124 | Acquired absence of {right;left} leg above knee
Z89.42{1,2} V49.72       age=35-124 | Acquired absence of other {right;left} toe(s)
Z98.890     V45.89       | Other specified postprocedural states
Z96.1       V43.1        age=45-124 | Presence of intraocular lens
Z96.0       V43.5        | Presence of urogenital implants
Z95.2       V43.3        age=18-124 | Presence of prosthetic heart valve
Z95.0       V45.01       age=18-124 | Presence of cardiac pacemaker
Z99.2       V45.11       age=18-124 | Dependence on renal dialysis
Z99.81      V46.2        age=18-124 | Dependence on supplemental oxygen
Z99.89      V46.8        | Dependence on other enabling machines and devices
Z74.01      V49.84       age=35-124 | Bed confinement status
Z74.09      V49.89       age=56-124 | Other reduced mobility
Z66         V49.86  w=3  age=18-124 | Do not resuscitate
Z51.5       V66.7   w=1  age=18-124 | Encounter for palliative care
Z53.20      V64.2        | Procedure and treatment not carried out because of patient's decision for unspecified reasons
Z53.09      V64.1        | Procedure and treatment not carried out because of other contraindication
Z60.2       V60.3   w=1  age=18-124 | Problems related to living alone
Z63.8       V61.8        | Other specified problems related to primary support group
Z59.0       V60.0        age=15-124 | Homelessness
Z75.1       V63.2        | Person awaiting admission to adequate facility elsewhere
Z76.89      V68.89       | Persons encountering health services in other specified circumstances
Z71.89      V65.49       | Other specified counseling
Z71.6       V65.42       age=12-124 | Tobacco abuse counseling
Z71.41      V65.42       age=15-124 | Alcohol abuse counseling and surveillance of alcoholic
Z68.1       V85.0        age=18-124 | Body mass index [BMI] 19.9 or less, adult
Z68.2{0,1,2,3,4} V85.1 age=18-124 | Body mass index [BMI] 2{1:0..4}.0-2{1:0..4}.9, adult
Z82.3       V17.1        | Family history of stroke
Z83.3       V18.0        | Family history of diabetes mellitus
Z80.8       V16.8        | Family history of malignant neoplasm of other organs or systems
Z82.0       V17.2        | Family history of epilepsy and other diseases of the nervous system
Z84.89      V19.8        | Family history of other specified conditions
Z81.8       V17.0        | Family history of other mental and behavioral disorders
Z22.322     V02.54       | Carrier or suspected carrier of Methicillin resistant Staphylococcus aureus
Z45.010     V53.31       age=18-124 | Encounter for checking and testing of cardiac pacemaker pulse generator [battery]
Z01.818     V72.83       | Encounter for other preprocedural examination
Z01.810     V72.81       age=18-124 | Encounter for preprocedural cardiovascular examination
Z00.00      V70.0        age=18-124 | Encounter for general adult medical examination without abnormal findings
Z00.01      V70.0        age=18-124 | Encounter for general adult medical examination with abnormal findings
Z13.89      V82.89       | Encounter for screening for other disorder
Z11.3       V74.5        age=12-124 | Encounter for screening for infections with a predominantly sexual mode of transmission
Z13.31      V79.0        age=12-124 | Encounter for screening for depression
Z09         V67.9        | Encounter for follow-up examination after completed treatment for conditions other than malignant neoplasm
Z48.815     V58.75       | Encounter for surgical aftercare following surgery on the digestive system
Z48.812     V58.73       age=18-124 | Encounter for surgical aftercare following surgery on the circulatory system
Z47.89      V54.89       | Encounter for other orthopedic aftercare
Z43.1       V55.1        | Encounter for attention to gastrostomy
Z43.0       V55.0        | Encounter for attention to tracheostomy
Z45.2       V58.81       | Encounter for adjustment and management of vascular access device
Z79.3       V58.69       age=15-55 sex=F | Long term (current) use of hormonal contraceptives
Z30.09      V25.09       age=15-55 | Encounter for other general counseling and advice on contraception
Y83.8       E878.8  w=1  age=18-124 | Other surgical procedures as the cause of abnormal reaction of the patient, or of later complication, without mention of misadventure at the time of the procedure
Y84.8       E879.8       age=18-124 | Other medical procedures as the cause of abnormal reaction of the patient, or of later complication, without mention of misadventure at the time of the procedure
Y92.230     E849.7  w=2  | Patient room in hospital as the place of occurrence of the external cause
Y92.239     E849.7  w=1  | Unspecified place in hospital as the place of occurrence of the external cause
Y92.199     E849.7       | Unspecified place in other specified residential institution as the place of occurrence of the external cause
Y95         -       w=1  | Nosocomial condition
"""
