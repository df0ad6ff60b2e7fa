"""The package's own age and sex edit tables (compact prefix, range and wildcard lists).

These tables state, for ICD-9-CM (diagnoses and procedures), ICD-10-CM diagnoses and
ICD-10-PCS procedures, which codes carry each Medicare Code Editor (MCE) age or sex
edit: Newborn (age 0), Pediatric (0-17), Maternity (12-55), Adult (15-124), Female-only
and Male-only. They follow the MCE definitions (CMS, *Definitions of Medicare Code
Edits*, v32 for ICD-9-CM and v37 for ICD-10-CM/PCS) but are written as whole code
families (chapters, categories, subcategories), not as code lists. Each entry names the
smallest family that carries the edit *as a whole*; see ``docs/clinical-rules.md`` for
how the families were chosen and how truncated (category-level) codes are treated.

Grammar, one rule per line (``#`` starts a comment; a line ending in ``\\`` continues)::

    <system> <kind> <edit>: <pattern> <pattern> ...

``system`` is ``icd9`` or ``icd10``, ``kind`` ``dx`` or ``px``. A pattern is a code
prefix (``O80``, ``Z38``; dots are ignored: ``Z03.7`` = ``Z037``), an inclusive range of
equally long prefixes (``O00-O9A``: every code whose first three characters sort between
``O00`` and ``O9A``), or a prefix with ``?`` wildcards for one character each
(``0W?N``: ICD-10-PCS anatomical-region procedures on the female perineum).

Notable facts of the code systems the tables encode:

- ICD-10-CM chapter 15 (O00-O9A, pregnancy, childbirth and the puerperium) is maternity
  *and* female-only throughout; so are ICD-9-CM 630-679.
- ICD-10-CM chapter 16 (P00-P96, perinatal conditions) carries **no** newborn edit: the
  ICD-10-CM guidelines (I.C.16.a.4) let these codes be used throughout a patient's life
  when the condition persists, and the MCE's newborn edit lists only Z38 (liveborn
  infants), Z05 (newborn observation), Z00.11 (newborn exam) and a few others. In
  ICD-9-CM, by contrast, 760-779 (perinatal conditions) and V29-V39 are newborn-only.
- ICD-10-PCS: body systems ``0U`` (female reproductive) and ``0V`` (male reproductive)
  and the whole obstetrics section ``1`` are sex-specific; elsewhere the body-part axis
  (4th character) decides (``0W?N`` female perineum, ``0W?M`` male perineum, ``3E0P``
  female reproductive, ``3E0N`` male reproductive ...).
"""

from __future__ import annotations

BUILTIN_TABLE = r"""
# ============================================================== ICD-10-CM diagnoses
icd10 dx Newborn_Only: Z38 Z05 Z00.11 A33 E84.11 H04.53 N47.0

icd10 dx Pediatric_Only: \
    Z00.12 Z00.2-Z00.3 Z00.7 Z76.2 Z04.42 Z04.72 Z62.21 Z62.3 Z69.010 Z69.020 \
    Z72.810 Z73.81 T74.?2 T74.4 T76.?2 \
    A48.51 B08.2 C93.3 E30.1-E30.8 F64.2 F84.3 G93.7 H26.0 L12.2 L20.83 L21.1 L44.4 \
    L70.4 N92.2 R04.81 R10.83 R62.0 R62.51 R68.1

icd10 dx Maternity_Only: O00-O9A Z33-Z37 Z39-Z3A Z03.7 Z32.01 A34 C58 D39.2 F53 M83.0

icd10 dx Adult_Only: \
    F01 F03 G30.1 F69 G11.2 G12.21 R41.81 R54 \
    I23.0-I23.3 I23.6-I23.8 I25.1 I25.70-I25.73 I25.76-I25.79 I25.810 I25.812 I25.83 \
    I51.0 I67.2 I70 I83 I86.8 I97.2 \
    H02.03 H02.13 H25 H31.11 H35.30-H35.32 H35.44 H43.82 \
    A18.14 C91.5 E28.31 J60-J61 J84.82 K31.1 K70 M06.1 M42.1 M72.0 M80.0 M81.0 \
    M83.1-M83.3 M83.5-M83.9 M93.1 \
    N40-N41 N42.0-N42.1 N42.8-N42.9 N46 N52 N60.1 N64.81-N64.82 N65 R62.7 R68.82 R97.2 \
    T74.?1 T76.?1 \
    Z00.0 Z04.41 Z04.71 Z31.441-Z31.448 Z42.1 Z56.1 Z68.1-Z68.4 Z72.811 Z78.0 Z86.51 \
    Z91.41 Z91.82 Z98.52

icd10 dx Female_Only: \
    O00-O9A Z33-Z37 Z39-Z3A Z03.7 Z32.0 \
    N70-N98 N99.12 N99.2-N99.3 N99.83 N99.85 N35.?2 \
    C50.?1 C51-C58 C79.6 D06 D07.0-D07.3 D25-D28 D39 \
    E28 E89.4 Q50-Q52 Q56.2 Q96-Q97 R87 \
    A18.16-A18.18 A34 A51.42 A54.02-A54.03 A54.24 A56.02 A56.11 A59.01 A60.03-A60.04 \
    B37.3 F32.81 F52.22-F52.31 F52.5 F53 G43.82-G43.83 I86.3 L29.2 M83.0 P54.6 \
    S30.202 S30.23 S30.8?4 S30.8?6 S30.95 S30.97 S31.4 S31.5?2 S35.53 S37.4-S37.6 \
    S38.002 S38.03 S38.21 T19.2-T19.3 T21.?7 T83.3 T83.711 T83.721 Y76 \
    Z01.4 Z12.4 Z12.72-Z12.73 Z13.32 Z15.02 Z15.04 Z30.011-Z30.015 Z30.018-Z30.019 \
    Z30.41-Z30.49 Z31.43 Z31.7 Z31.81-Z31.83 Z40.02-Z40.03 Z52.81 Z64.0-Z64.1 Z78.0 \
    Z85.40-Z85.44 Z86.001 Z86.32 Z87.41-Z87.42 Z87.5 Z90.71-Z90.72 Z97.5 Z98.51 Z98.870 \
    Z98.891

icd10 dx Male_Only: \
    N40-N53 N99.11 N35.?1 C50.?2 C60-C63 D07.4-D07.6 D17.6 D29 D40 E29 E89.5 \
    Q53-Q55 Q56.1 Q98.0-Q98.4 Q98.6-Q98.9 R36.1 R39.83-R39.84 R86 R93.81 R97.2 \
    A18.14-A18.15 A54.22-A54.23 A59.02 A60.01-A60.02 B26.0 B37.42 B38.81 F52.21 F52.32 \
    F52.4 I86.1 L29.1 P83.5 \
    S30.201 S30.21-S30.22 S30.8?2 S30.8?3 S30.8?5 S30.93-S30.94 S30.96 S31.2-S31.3 \
    S31.5?1 S37.82 S38.001 S38.01-S38.02 S38.22-S38.23 S39.840 T19.4 T21.?6 T83.410 \
    T83.420 T83.490 \
    Z12.5 Z12.71 Z15.03 Z31.44 Z41.2 Z85.45-Z85.49 Z87.43 Z87.710 Z98.52

# ============================================================== ICD-10-PCS procedures
icd10 px Female_Only: \
    0U 0W?N 04LE 04LF 0DXE 1 2Y?4 3027 3E0E 3E0P 3E1P 4A0H 4A0J 4A1H 4A1J 8E0H 8E0U \
    BU BY3 BY4 DU

icd10 px Male_Only: 0V 0W?M 3E0N 3E1N 8E0V BV CV1 DV

# ============================================================== ICD-9-CM diagnoses
icd9 dx Newborn_Only: \
    760.77-760.78 762-769 770.0-770.6 770.8-770.9 771-777 778.0-778.5 778.7-779.6 \
    779.8-779.9 V29 V3?.0 V3?.1 V20.3 277.01 747.83 780.92 796.6

icd9 dx Pediatric_Only: \
    V20.0-V20.2 V69.5 V85.5 995.5 040.41 058.1 259.1 313.89 313.9 331.81 690.11-690.12 \
    780.91 783.41-783.42 786.31 789.7 798.0 799.82

icd9 dx Maternity_Only: \
    630-676 678-679 V23 V24.0 V27 V28.0-V28.2 V28.6-V28.8 V61.6-V61.7 V72.42 V89 V91 \
    792.3 796.5

icd9 dx Adult_Only: \
    290.0-290.4 290.9 335.20 366.1 374.01 374.11 379.27 \
    414.00-414.05 414.07 414.3 429.7 437.0 440.0-440.1 440.20-440.23 440.29 440.3 \
    440.8-440.9 454.0-454.2 454.9 457.0 500-501 516.5 571.0-571.3 \
    600-601 602.0-602.2 602.8-602.9 606 607.84 610.1 611.81-611.83 612 728.6 \
    256.31 783.7 790.93 799.81 995.80-995.85 \
    V11.4 V23.85 V49.81 V51.0 V62.2 V71.01 V85.0-V85.4

icd9 dx Female_Only: \
    614-679 V22-V24 V27-V28 V89 V91 \
    174 179-184 198.6 218-221 233.1-233.3 236.0-236.3 256 752.0-752.4 \
    016.6-016.7 054.11-054.12 098.15-098.17 098.35-098.37 112.1 131.01 302.73 302.76 \
    306.51-306.52 346.4 456.6 516.4 716.3 792.3 795.0-795.1 795.82 796.5 \
    867.4-867.5 878.4-878.7 902.55-902.56 902.81-902.82 939.1-939.2 947.4 996.32 \
    V07.4 V10.40-V10.44 V12.21 V13.1-V13.2 V15.21 V25.01 V25.1 V25.3 V25.41-V25.43 \
    V25.5 V26.1 V26.31-V26.32 V26.51 V26.81 V45.51 V49.81 V50.42 V52.4 V59.7 \
    V61.6-V61.7 V67.01 V72.3-V72.4 V76.11 V76.2 V76.46-V76.47 V82.4 V84.02 V84.04 V88.0

icd9 dx Male_Only: \
    600-608 175 185-187 222 \
    016.4-016.5 054.13 072.0 098.12-098.14 098.32-098.34 131.03 214.4 233.4-233.6 \
    236.4-236.6 257.0-257.1 257.9 302.74-302.75 456.4 752.5-752.6 752.81 758.7 \
    788.32 790.93 792.2 878.0-878.3 939.3 959.13 \
    V10.45-V10.49 V13.61 V26.34-V26.39 V26.52 V50.2 V76.44-V76.45 V84.03

# ============================================================== ICD-9-CM procedures
icd9 px Female_Only: \
    65-69 70.0-70.5 70.61-70.62 70.7-70.9 71-75 \
    87.8 88.46 88.78 89.26 91.4 92.17 96.14-96.18 96.44 97.24-97.26 97.71-97.75 \
    98.16-98.17 98.23 99.98

icd9 px Male_Only: 60-64 87.9 98.24 99.94-99.96
"""
