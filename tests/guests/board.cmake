guest_test(board --checks ${GUEST_DIR}/board.asm)
