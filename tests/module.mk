# tests/: the lab's process reaper (make check, demo and bench run under it).
PROGS += subreaper
subreaper_SRCS := tests/lab/subreaper.c
