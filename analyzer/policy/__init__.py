"""Rules as data: YAML packs loaded into frozen rules, evaluated per subject against facts."""
