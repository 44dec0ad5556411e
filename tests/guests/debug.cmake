guest_test(debugreg --checks ${GUEST_DIR}/debugreg.asm)
