# paging.cmake - the paging guests (tests/guests/paging*.asm, harness in
# paging.inc): 4 KiB and 4 MiB pages, #PF error codes and CR2, CR0.WP,
# INVLPG and MOV CR3, REP MOVS resumed after #PF, self-modifying code
# through paging, CPL 3 rights. Included by tests/guests/CMakeLists.txt;
# labelled `boot`.

guest_test(paging --checks ${GUEST_DIR}/paging.asm)
