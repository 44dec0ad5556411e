/*
 * test_paging.c - 32-bit paging and the soft TLB (cpu/mmu.c, cpu/mem.h),
 * instruction fetch through paging (translator/exec.c), INVLPG and MOV CR0
 * with PG (cpu/ops_sys.c), and the inline segment check (cpu/mem.h).
 *
 * SDM Vol. 3 chapter 4: the two-level walk with 4 KiB and 4 MiB pages
 * (4.3), access rights with U/S, R/W and CR0.WP (4.6), the #PF error code
 * and CR2 (4.7), accessed and dirty flags (4.8), TLB invalidation (4.10):
 * global pages survive MOV CR3 but not INVLPG or a CR4.PGE change.
 *
 * A Cpu on a Bus with 16 MiB of RAM; protected mode and paging are set up
 * by writing cr[0]/cr[3]/cr[4] and cpl directly (no segment loads) and
 * the page tables with bus_write. Each access runs inside a sigsetjmp
 * frame of the test's own, so a fault comes back as its vector with
 * exc_error and CR2 to check.
 *
 * Covered: translations of 4 KiB and 4 MiB pages; every combination of
 * PDE/PTE U/S and R/W, user/supervisor, read/write and CR0.WP (fault or
 * not, error code, CR2, accessed/dirty flags, and a second access through
 * the filled TLB behaving the same); not-present PDE and PTE; reserved
 * bits of a 4 MiB PDE (RSVD); PS ignored without CR4.PSE; the dirty flag
 * set by the first write only (no fast write entry before); a user access
 * never using a supervisor TLB entry, and system (_sys) accesses being
 * supervisor accesses at CPL 3; global pages and MOV CR3, INVLPG (also of
 * a whole 4 MiB page), CR4.PGE; the translator's flush hook on every
 * flush; page-crossing reads and writes (a fault on the second page
 * writes nothing, CR2 = that page); the A20 mask on walk and result;
 * writes through paging (and accessed-flag updates of a page table) to a
 * page holding code reaching the code-write hook; MOV CR0 with PG and
 * INVLPG as instructions; instruction fetch through the execution loop
 * (paged code, remapping after INVLPG, a fetch fault on the second page of
 * a straddling instruction) and cpu_fetch_phys's error codes; the inline
 * segment check never accepting what the full check refuses.
 */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/ops.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "translator/exec.h"

#define RAM_SIZE (16u << 20)
#define PD       0x00010000u /* page directory (CR3) */
#define PT0      0x00011000u /* page table for 0-4 MiB (identity) */
#define PT1      0x00012000u /* page table for 4-8 MiB */
#define LIN      0x00400000u /* PT1[0] */
#define PHYS     0x00200000u
#define BIG_LIN  0x00800000u /* PDE 2: a 4 MiB page */
#define BIG_PHYS 0x00C00000u

enum { P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100 };
enum { PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8 };

static Bus *bus;
static Clock clk;
static Cpu *cpu;
static uint8_t *ram;
static int flushes;

static void count_flush(void *opaque)
{
    (void)opaque;
    flushes++;
}

static void wr32(uint32_t pa, uint32_t v)
{
    bus_write(bus, pa, v, 4);
}
static uint32_t rd32(uint32_t pa)
{
    return bus_read(bus, pa, 4);
}
static uint32_t pde_addr(uint32_t lin)
{
    return PD + (lin >> 22) * 4;
}
static uint32_t pte_addr(uint32_t lin)
{
    return PT1 + ((lin >> 12) & 0x3FF) * 4;
}

static void set_paging(uint32_t cr0_extra, uint32_t cr4)
{
    cpu->cr[0] = CR0_PE | CR0_PG | CR0_ET | cr0_extra;
    cpu->cr[3] = PD;
    cpu->cr[4] = cr4;
    cpu_tlb_flush(cpu);
}

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    ram = bus_add_ram(bus, 0, RAM_SIZE, "ram");
    ck_assert_ptr_nonnull(ram);
    clock_init(&clk, 1000000000ull);
    cpu = cpu_new(bus, &clk);
    ck_assert_ptr_nonnull(cpu);
    /* 0-4 MiB identity (supervisor, writable, accessed and dirty); 4-8 MiB
     * through PT1 (entries written by each test). */
    for (uint32_t i = 0; i < 1024; i++)
        wr32(PT0 + 4 * i, (i << 12) | P | RW | A | D);
    wr32(PD + 0, PT0 | P | RW | US | A);
    wr32(PD + 4, PT1 | P | RW | US);
    set_paging(0, 0);
    cpu->cpl = 0;
    flushes = 0;
    cpu->on_tlb_flush = count_flush;
    cpu->hook_opaque = NULL;
}

static void teardown(void)
{
    cpu->on_tlb_flush = NULL;
    cpu_free(cpu);
    bus_free(bus);
}

/* ---- accesses inside a fault frame ---- */

enum { RD, WR, XLAT, FETCH, RD_CUR, WR_CUR };
static sigjmp_buf jb;
static volatile uint32_t got;

/* Returns the exception vector, or -1. RD/WR: cpu_lrd_pl/cpu_lwr_pl with
 * the given privilege; RD_CUR/WR_CUR: cpu_lrd/cpu_lwr (the current CPL);
 * XLAT: cpu_translate as a read; FETCH: cpu_fetch_phys. */
static int access(int kind, uint32_t lin, unsigned size, bool user, uint32_t val)
{
    cpu->jmp = &jb;
    cpu->exc_vector = -1;
    if (sigsetjmp(jb, 0)) {
        cpu->jmp = NULL;
        return cpu->exc_vector;
    }
    switch (kind) {
    case RD: got = cpu_lrd_pl(cpu, lin, size, user); break;
    case WR: cpu_lwr_pl(cpu, lin, val, size, user); break;
    case XLAT: got = cpu_translate(cpu, lin, false, user); break;
    case FETCH: got = cpu_fetch_phys(cpu, lin); break;
    case RD_CUR: got = cpu_lrd(cpu, lin, size); break;
    case WR_CUR: cpu_lwr(cpu, lin, val, size); break;
    }
    cpu->jmp = NULL;
    return -1;
}

#define CK_PF(v, err_, cr2_)                                                                       \
    do {                                                                                           \
        ck_assert_int_eq((v), EXC_PF);                                                             \
        ck_assert_uint_eq(cpu->exc_error, (err_));                                                 \
        ck_assert_uint_eq(cpu->cr[2], (cr2_));                                                     \
    } while (0)

/* ---- translations ---- */

START_TEST(test_4k_translation)
{
    wr32(pte_addr(LIN), PHYS | P | RW);
    wr32(pte_addr(LIN + 0x1000), (PHYS + 0x5000) | P | RW);
    wr32(PHYS + 0x123, 0xCAFEF00D);
    wr32(PHYS + 0x5010, 0x12345678);
    ck_assert_int_eq(access(RD, LIN + 0x123, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0xCAFEF00D);
    ck_assert_int_eq(access(RD, LIN + 0x1010, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x12345678);
    ck_assert_int_eq(access(XLAT, LIN + 0x1FFF, 1, false, 0), -1);
    ck_assert_uint_eq(got, PHYS + 0x5FFF);
    /* A on the PDE and both PTEs, D on neither (reads only). */
    ck_assert_uint_eq(rd32(pde_addr(LIN)), PT1 | P | RW | US | A);
    ck_assert_uint_eq(rd32(pte_addr(LIN)), PHYS | P | RW | A);
    ck_assert_uint_eq(rd32(pte_addr(LIN + 0x1000)), (PHYS + 0x5000) | P | RW | A);
    /* A write lands at the physical address and sets D. */
    ck_assert_int_eq(access(WR, LIN + 0x200, 2, false, 0xBEEF), -1);
    ck_assert_uint_eq(bus_read(bus, PHYS + 0x200, 2), 0xBEEF);
    ck_assert_uint_eq(rd32(pte_addr(LIN)), PHYS | P | RW | A | D);
    ck_assert_uint_eq(rd32(pte_addr(LIN + 0x1000)) & D, 0);
    /* The debug view agrees and needs no TLB. */
    uint32_t pa = 0;
    ck_assert(cpu_translate_debug(cpu, LIN + 0x1234, &pa));
    ck_assert_uint_eq(pa, PHYS + 0x5234);
    ck_assert(!cpu_translate_debug(cpu, LIN + 0x2000, &pa));
}
END_TEST

/* Every combination of the rights bits at both levels, the access kind and
 * CR0.WP (SDM Vol. 3 4.6, 32-bit paging). */
START_TEST(test_rights_matrix)
{
    const uint32_t lin = LIN + 0x7123;
    for (unsigned c = 0; c < 128; c++) {
        bool pde_u = c & 1, pde_w = c & 2, pte_u = c & 4, pte_w = c & 8;
        bool user = c & 16, write = c & 32, wp = c & 64;
        uint32_t pde = PT1 | P | (pde_u ? US : 0) | (pde_w ? RW : 0);
        uint32_t pte = (PHYS + 0x7000) | P | (pte_u ? US : 0) | (pte_w ? RW : 0);
        wr32(pde_addr(lin), pde);
        wr32(pte_addr(lin), pte);
        wr32(PHYS + 0x7123, 0x55667788);
        set_paging(wp ? CR0_WP : 0, 0);
        cpu->cr[2] = 0xDEAD0000u;

        bool read_ok = !user || (pde_u && pte_u);
        bool write_ok = user ? (pde_u && pte_u && pde_w && pte_w) : (!wp || (pde_w && pte_w));
        uint32_t u = user ? PF_U : 0;

        /* A read first (it fills the TLB when allowed). */
        int v = access(RD, lin, 4, user, 0);
        if (read_ok) {
            ck_assert_msg(v == -1, "case %u: read faulted", c);
            ck_assert_uint_eq(got, 0x55667788);
            ck_assert_uint_eq(rd32(pde_addr(lin)), pde | A);
            ck_assert_uint_eq(rd32(pte_addr(lin)), pte | A);
        } else {
            CK_PF(v, PF_P | u, lin);
            /* A faulting walk sets no accessed flag. */
            ck_assert_uint_eq(rd32(pde_addr(lin)), pde);
            ck_assert_uint_eq(rd32(pte_addr(lin)), pte);
        }
        if (!write) continue;
        /* Then a write, with whatever the read left in the TLB, twice (the
         * second goes through the filled TLB). */
        for (int k = 0; k < 2; k++) {
            cpu->cr[2] = 0xDEAD0000u;
            v = access(WR, lin, 4, user, 0x10203040u + (uint32_t)k);
            if (write_ok) {
                ck_assert_msg(v == -1, "case %u: write faulted", c);
                ck_assert_uint_eq(rd32(PHYS + 0x7123), 0x10203040u + (uint32_t)k);
                ck_assert_uint_eq(rd32(pte_addr(lin)), pte | A | D);
                ck_assert_uint_eq(rd32(pde_addr(lin)), pde | A);
            } else {
                CK_PF(v, PF_P | PF_W | u, lin);
                ck_assert_uint_eq(rd32(PHYS + 0x7123), 0x55667788);
                ck_assert_uint_eq(rd32(pte_addr(lin)) & D, 0);
            }
        }
        /* And a read again still behaves as the first one. */
        v = access(RD, lin, 4, user, 0);
        ck_assert_int_eq(v, read_ok ? -1 : EXC_PF);
    }
}
END_TEST

START_TEST(test_not_present)
{
    for (unsigned c = 0; c < 8; c++) {
        bool user = c & 1, write = c & 2, pde_missing = c & 4;
        wr32(pde_addr(LIN), pde_missing ? (PT1 | RW | US) : (PT1 | P | RW | US));
        wr32(pte_addr(LIN), PHYS | RW | US); /* P clear */
        set_paging(0, 0);
        uint32_t lin = LIN + 0x0ABC;
        int v = access(write ? WR : RD, lin, 1, user, 0x5A);
        CK_PF(v, (write ? PF_W : 0) | (user ? PF_U : 0), lin);
        ck_assert_uint_eq(rd32(pde_addr(LIN)) & A, 0);
    }
    /* A PDE read from a not-present directory entry above 8 MiB. */
    set_paging(0, 0);
    CK_PF(access(RD, 0x40000000u, 4, false, 0), 0, 0x40000000u);
}
END_TEST

START_TEST(test_4m_pages)
{
    wr32(pde_addr(BIG_LIN), BIG_PHYS | P | RW | US | PS);
    wr32(BIG_PHYS + 0x123456, 0x87654321);
    set_paging(0, CR4_PSE);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x123456, 4, true, 0), -1);
    ck_assert_uint_eq(got, 0x87654321);
    ck_assert_uint_eq(rd32(pde_addr(BIG_LIN)), BIG_PHYS | P | RW | US | PS | A);
    ck_assert_int_eq(access(WR, BIG_LIN + 0x3FFFFC, 4, true, 0x0BADCAFE), -1);
    ck_assert_uint_eq(rd32(BIG_PHYS + 0x3FFFFC), 0x0BADCAFE);
    ck_assert_uint_eq(rd32(pde_addr(BIG_LIN)), BIG_PHYS | P | RW | US | PS | A | D);

    /* Rights come from the PDE alone. */
    wr32(pde_addr(BIG_LIN), BIG_PHYS | P | PS | A | D);
    set_paging(CR0_WP, CR4_PSE);
    CK_PF(access(RD, BIG_LIN + 8, 4, true, 0), PF_P | PF_U, BIG_LIN + 8);
    CK_PF(access(WR, BIG_LIN + 8, 4, false, 0), PF_P | PF_W, BIG_LIN + 8);

    /* Bits 13-21 are reserved in a 4 MiB PDE: RSVD (with P). */
    for (unsigned bit = 13; bit <= 21; bit++) {
        wr32(pde_addr(BIG_LIN), BIG_PHYS | P | RW | US | PS | (1u << bit));
        set_paging(0, CR4_PSE);
        CK_PF(access(RD, BIG_LIN + 0x10, 1, false, 0), PF_P | PF_RSVD, BIG_LIN + 0x10);
        CK_PF(access(WR, BIG_LIN + 0x10, 1, true, 0), PF_P | PF_RSVD | PF_W | PF_U, BIG_LIN + 0x10);
    }
    /* Bit 12 (PAT on later CPUs) is not reserved. */
    wr32(pde_addr(BIG_LIN), BIG_PHYS | P | RW | PS | (1u << 12));
    set_paging(0, CR4_PSE);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x123456, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x87654321);

    /* Without CR4.PSE the PS bit is ignored: the PDE points at a table. */
    wr32(pde_addr(BIG_LIN), PT1 | P | RW | PS);
    wr32(PT1 + 4, (PHYS + 0x3000) | P | RW);
    wr32(PHYS + 0x3010, 0x600DF00D);
    set_paging(0, 0);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x1010, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x600DF00D);
}
END_TEST

/* ---- the dirty flag and the fast write entry ---- */

START_TEST(test_dirty_first_write)
{
    const uint32_t lin = LIN + 0x9000;
    const unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    wr32(pte_addr(lin), (PHYS + 0x9000) | P | RW);
    set_paging(0, 0);
    ck_assert_int_eq(access(RD, lin, 4, false, 0), -1);
    /* Filled for reads, but no write tag while D is clear. */
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_read, lin);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_write, TLB_INVALID);
    ck_assert_uint_eq(rd32(pte_addr(lin)) & D, 0);
    ck_assert_int_eq(access(WR, lin + 4, 4, false, 7), -1);
    ck_assert_uint_eq(rd32(pte_addr(lin)) & D, D);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_write, lin);
    /* Now the guest clears D and invalidates: the next write sets it again. */
    wr32(pte_addr(lin), (PHYS + 0x9000) | P | RW | A);
    cpu_tlb_flush_page(cpu, lin);
    ck_assert_int_eq(access(WR, lin + 8, 4, false, 9), -1);
    ck_assert_uint_eq(rd32(pte_addr(lin)), (PHYS + 0x9000) | P | RW | A | D);

    /* A read-only page never gets a write tag for a user, even with D set;
     * with WP clear a supervisor may write it (and gets the tag). */
    wr32(pte_addr(lin), (PHYS + 0x9000) | P | US | A | D);
    set_paging(0, 0);
    ck_assert_int_eq(access(RD, lin, 4, true, 0), -1);
    ck_assert_uint_eq(cpu->tlb_set[1][idx].tag_read, lin);
    ck_assert_uint_eq(cpu->tlb_set[1][idx].tag_write, TLB_INVALID);
    ck_assert_int_eq(access(WR, lin, 4, false, 0x77), -1);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_write, lin);
    CK_PF(access(WR, lin, 4, true, 0x88), PF_P | PF_W | PF_U, lin);
    ck_assert_uint_eq(rd32(PHYS + 0x9000), 0x77);
}
END_TEST

/* ---- privilege separation in the TLB ---- */

START_TEST(test_user_never_uses_supervisor_entry)
{
    const uint32_t lin = LIN + 0x4000;
    const unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    wr32(pte_addr(lin), (PHYS + 0x4000) | P | RW | A | D); /* supervisor page */
    wr32(PHYS + 0x4000, 0x13579BDF);
    set_paging(0, 0);
    /* CPL 0 reads and writes it: the supervisor set has both tags. */
    cpu->cpl = 0;
    ck_assert_int_eq(access(RD_CUR, lin, 4, false, 0), -1);
    ck_assert_int_eq(access(WR_CUR, lin + 4, 4, false, 1), -1);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_read, lin);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_write, lin);
    ck_assert_ptr_nonnull(cpu_tlb_read_ptr(cpu, lin, 4));
    /* At CPL 3 nothing of it is visible. */
    cpu->cpl = 3;
    ck_assert_ptr_null(cpu_tlb_read_ptr(cpu, lin, 4));
    ck_assert_ptr_null(cpu_tlb_write_ptr(cpu, lin, 4));
    CK_PF(access(RD_CUR, lin, 4, false, 0), PF_P | PF_U, lin);
    CK_PF(access(WR_CUR, lin, 4, false, 2), PF_P | PF_W | PF_U, lin);
    ck_assert_uint_eq(cpu->tlb_set[1][idx].tag_read, TLB_INVALID);
    /* CPL 1 and 2 are supervisor. */
    cpu->cpl = 1;
    ck_assert_int_eq(access(RD_CUR, lin, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x13579BDF);
    cpu->cpl = 2;
    ck_assert_int_eq(access(WR_CUR, lin, 4, false, 3), -1);

    /* System accesses at CPL 3 are supervisor accesses: they succeed, and a
     * faulting one reports U/S = 0. */
    cpu->cpl = 3;
    cpu->jmp = &jb;
    if (sigsetjmp(jb, 0)) ck_abort_msg("a system access at CPL 3 faulted");
    ck_assert_uint_eq(cpu_lrd32_sys(cpu, lin), 3);
    cpu_lwr16_sys(cpu, lin + 2, 0x1234);
    ck_assert_uint_eq(cpu_lrd16_sys(cpu, lin + 2), 0x1234);
    ck_assert_uint_eq(cpu_lrd8_sys(cpu, lin + 3), 0x12);
    cpu->jmp = NULL;
    wr32(pte_addr(lin), (PHYS + 0x4000) | P | A | D); /* read-only */
    set_paging(CR0_WP, 0);
    cpu->cpl = 3;
    cpu->jmp = &jb;
    cpu->exc_vector = -1;
    if (!sigsetjmp(jb, 0)) {
        cpu_lwr32_sys(cpu, lin, 0);
        ck_abort_msg("a supervisor write to a read-only page with WP did not fault");
    }
    cpu->jmp = NULL;
    CK_PF(cpu->exc_vector, PF_P | PF_W, lin);

    /* The other way round: a user entry is not a supervisor entry either
     * (a user page filled at CPL 3 leaves the supervisor set empty). */
    const uint32_t ul = LIN + 0x6000;
    const unsigned uidx = (ul >> 12) & (TLB_SIZE - 1);
    wr32(pte_addr(ul), (PHYS + 0x6000) | P | RW | US | A | D);
    set_paging(0, 0);
    cpu->cpl = 3;
    ck_assert_int_eq(access(WR_CUR, ul, 4, false, 5), -1);
    ck_assert_uint_eq(cpu->tlb_set[1][uidx].tag_write, ul);
    ck_assert_uint_eq(cpu->tlb_set[0][uidx].tag_read, TLB_INVALID);
    ck_assert_uint_eq(cpu->tlb_xlat[0][uidx].tag, TLB_INVALID);
    cpu->cpl = 0;
}
END_TEST

/* ---- invalidation ---- */

START_TEST(test_global_pages)
{
    const uint32_t gl = LIN + 0x1000, ng = LIN + 0x2000;
    wr32(pte_addr(gl), (PHYS + 0x1000) | P | RW | US | A | D | G);
    wr32(pte_addr(ng), (PHYS + 0x2000) | P | RW | US | A | D | G);
    wr32(PHYS + 0x1000, 0x11111111);
    wr32(PHYS + 0x2000, 0x22222222);
    wr32(PHYS + 0x8000, 0x88888888);
    /* PGE off: the G bit means nothing. */
    set_paging(0, 0);
    ck_assert_int_eq(access(RD, gl, 4, false, 0), -1);
    wr32(pte_addr(gl), (PHYS + 0x8000) | P | RW | US | A | D | G);
    flushes = 0;
    cpu_set_cr3(cpu, PD);
    ck_assert_int_eq(flushes, 1);
    ck_assert_int_eq(access(RD, gl, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x88888888);

    /* PGE on: a global page survives MOV CR3; a non-global one does not. */
    wr32(pte_addr(gl), (PHYS + 0x1000) | P | RW | US | A | D | G);
    wr32(pte_addr(ng), (PHYS + 0x2000) | P | RW | US | A | D);
    set_paging(0, CR4_PGE);
    ck_assert_int_eq(access(RD, gl, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x11111111);
    ck_assert_int_eq(access(RD, ng, 4, true, 0), -1); /* (a user fill too) */
    ck_assert_uint_eq(got, 0x22222222);
    ck_assert_int_eq(access(RD, gl, 4, true, 0), -1);
    wr32(pte_addr(gl), (PHYS + 0x8000) | P | RW | US | A | D | G);
    wr32(pte_addr(ng), (PHYS + 0x8000) | P | RW | US | A | D);
    flushes = 0;
    cpu_set_cr3(cpu, PD);
    ck_assert_int_eq(flushes, 1);
    ck_assert_int_eq(access(RD, gl, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x11111111); /* still the old translation */
    ck_assert_int_eq(access(RD, gl, 4, true, 0), -1);
    ck_assert_uint_eq(got, 0x11111111);
    ck_assert_int_eq(access(RD, ng, 4, true, 0), -1);
    ck_assert_uint_eq(got, 0x88888888); /* re-walked */

    /* INVLPG drops a global page (in both sets). */
    flushes = 0;
    cpu_tlb_flush_page(cpu, gl + 0x123);
    ck_assert_int_eq(flushes, 1);
    ck_assert_int_eq(access(RD, gl, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x88888888);
    ck_assert_int_eq(access(RD, gl, 4, true, 0), -1);
    ck_assert_uint_eq(got, 0x88888888);

    /* Toggling CR4.PGE flushes global pages too. */
    wr32(pte_addr(gl), (PHYS + 0x1000) | P | RW | US | A | D | G);
    cpu_set_cr3(cpu, PD);
    ck_assert_int_eq(access(RD, gl, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x88888888); /* global: kept */
    flushes = 0;
    cpu_set_cr4(cpu, 0);
    ck_assert_int_eq(flushes, 1);
    ck_assert_int_eq(access(RD, gl, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x11111111);

    /* A large global page survives MOV CR3 as well. */
    wr32(pde_addr(BIG_LIN), BIG_PHYS | P | RW | PS | G | A | D);
    wr32(BIG_PHYS + 0x1000, 0xB16B16);
    set_paging(0, CR4_PGE | CR4_PSE);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x1000, 4, false, 0), -1);
    wr32(pde_addr(BIG_LIN), 0);
    cpu_set_cr3(cpu, PD);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x1000, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0xB16B16);
}
END_TEST

START_TEST(test_invlpg_large_page)
{
    wr32(pde_addr(BIG_LIN), BIG_PHYS | P | RW | US | PS | A | D);
    wr32(BIG_PHYS + 0x5000, 0xAAAA0001);
    wr32(BIG_PHYS + 0x3FF000, 0xAAAA0002);
    wr32(0x00005000, 0xBBBB0001); /* what the remapped PDE reaches */
    wr32(0x003FF000, 0xBBBB0002);
    set_paging(0, CR4_PSE);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x5000, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0xAAAA0001);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x3FF000, 4, true, 0), -1);
    ck_assert_uint_eq(got, 0xAAAA0002);
    /* Remap the 4 MiB page; INVLPG one address in it drops every piece. */
    wr32(pde_addr(BIG_LIN), 0x00000000u | P | RW | US | PS | A | D);
    cpu_tlb_flush_page(cpu, BIG_LIN + 0x123000);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x5000, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0xBBBB0001);
    ck_assert_int_eq(access(RD, BIG_LIN + 0x3FF000, 4, true, 0), -1);
    ck_assert_uint_eq(got, 0xBBBB0002);

    /* INVLPG of a 4 KiB page leaves its neighbours alone (no walk: a
     * changed neighbour PTE is not seen yet). */
    wr32(pte_addr(LIN), PHYS | P | RW | A | D);
    wr32(pte_addr(LIN + 0x1000), (PHYS + 0x1000) | P | RW | A | D);
    wr32(PHYS, 1);
    wr32(PHYS + 0x1000, 2);
    wr32(PHYS + 0x2000, 3);
    ck_assert_int_eq(access(RD, LIN, 4, false, 0), -1);
    ck_assert_int_eq(access(RD, LIN + 0x1000, 4, false, 0), -1);
    wr32(pte_addr(LIN), (PHYS + 0x2000) | P | RW | A | D);
    wr32(pte_addr(LIN + 0x1000), (PHYS + 0x2000) | P | RW | A | D);
    cpu_tlb_flush_page(cpu, LIN + 0xFFF);
    ck_assert_int_eq(access(RD, LIN, 4, false, 0), -1);
    ck_assert_uint_eq(got, 3);
    ck_assert_int_eq(access(RD, LIN + 0x1000, 4, false, 0), -1);
    ck_assert_uint_eq(got, 2);
}
END_TEST

/* ---- page-crossing accesses ---- */

START_TEST(test_page_crossing)
{
    /* Two linear pages on physical pages that are not adjacent. */
    wr32(pte_addr(LIN), (PHYS + 0x5000) | P | RW | US);
    wr32(pte_addr(LIN + 0x1000), (PHYS + 0x1000) | P | RW | US);
    wr32(PHYS + 0x5FFC, 0x44332211);
    wr32(PHYS + 0x1000, 0x88776655);
    set_paging(CR0_WP, 0);
    ck_assert_int_eq(access(RD, LIN + 0xFFE, 4, true, 0), -1);
    ck_assert_uint_eq(got, 0x66554433);
    ck_assert_int_eq(access(WR, LIN + 0xFFD, 4, true, 0xDDCCBBAA), -1);
    ck_assert_uint_eq(rd32(PHYS + 0x5FFC), 0xCCBBAA11);
    ck_assert_uint_eq(rd32(PHYS + 0x1000), 0x887766DD);
    ck_assert_uint_eq(rd32(pte_addr(LIN)) & D, D);
    ck_assert_uint_eq(rd32(pte_addr(LIN + 0x1000)) & D, D);

    /* Second page read-only for a user: the write faults there (CR2 = the
     * first byte of the second page) and neither page changes. */
    wr32(pte_addr(LIN + 0x1000), (PHYS + 0x1000) | P | US | A | D);
    cpu_tlb_flush_page(cpu, LIN + 0x1000);
    CK_PF(access(WR, LIN + 0xFFE, 4, true, 0x01020304), PF_P | PF_W | PF_U, LIN + 0x1000);
    ck_assert_uint_eq(rd32(PHYS + 0x5FFC), 0xCCBBAA11);
    ck_assert_uint_eq(rd32(PHYS + 0x1000), 0x887766DD);
    /* Second page not present: a read faults with CR2 there too. */
    wr32(pte_addr(LIN + 0x1000), 0);
    cpu_tlb_flush_page(cpu, LIN + 0x1000);
    CK_PF(access(RD, LIN + 0xFFF, 2, false, 0), 0, LIN + 0x1000);
    /* First page not present: CR2 is the access's own address. */
    wr32(pte_addr(LIN), 0);
    cpu_tlb_flush_page(cpu, LIN);
    CK_PF(access(WR, LIN + 0xFFF, 2, false, 0), PF_W, LIN + 0xFFF);
}
END_TEST

/* ---- A20 ---- */

START_TEST(test_a20_mask)
{
    /* Page tables at 1 MiB + x alias x with A20 off, and so does the page. */
    const uint32_t pd2 = 0x00100000u + 0x20000u, pt2 = 0x00100000u + 0x21000u;
    wr32(0x20000u, 0x21000u | P | RW);            /* what the masked walk reads */
    wr32(0x21000u, 0x00130000u | P | RW | A | D); /* -> 0x130000 & ~bit 20 = 0x30000 */
    wr32(pd2, 0);                                 /* the unmasked walk would see nothing */
    wr32(pt2, 0);
    wr32(0x30000u, 0xA20A20);
    wr32(0x130000u, 0x1A20);
    bus_set_a20(bus, false);
    ck_assert_uint_eq(cpu->a20_mask, 0xFFEFFFFFu);
    cpu->cr[0] = CR0_PE | CR0_PG | CR0_ET;
    cpu->cr[3] = pd2;
    cpu_tlb_flush(cpu);
    ck_assert_int_eq(access(RD, 0, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0xA20A20);
    ck_assert_int_eq(access(XLAT, 0x10, 1, false, 0), -1);
    ck_assert_uint_eq(got, 0x30010);
    /* The accessed flag went to the masked address. */
    ck_assert_uint_eq(rd32(0x20000u) & A, A);
    bus_set_a20(bus, true);
    ck_assert_uint_eq(cpu->a20_mask, 0xFFFFFFFFu);
    CK_PF(access(RD, 0, 4, false, 0), 0, 0);
}
END_TEST

/* ---- self-modifying code through paging ---- */

static uint32_t hook_addr[8];
static int hook_calls;
static void code_hook(void *opaque, uint32_t paddr, unsigned size)
{
    (void)opaque;
    (void)size;
    if (hook_calls < 8) hook_addr[hook_calls] = paddr;
    hook_calls++;
}

START_TEST(test_code_page_writes_reach_hook)
{
    const uint32_t lin = LIN + 0x3000;
    const unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    bus_set_code_hook(bus, code_hook, NULL);
    hook_calls = 0;
    wr32(pte_addr(lin), (PHYS + 0x3000) | P | RW | A | D);
    bus_mark_code(bus, PHYS + 0x3000);
    set_paging(0, 0);
    ck_assert_int_eq(access(RD, lin, 4, false, 0), -1);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_read, lin);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_write, TLB_INVALID);
    ck_assert_int_eq(access(WR, lin + 0x40, 2, false, 0x9090), -1);
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_uint_eq(hook_addr[0], PHYS + 0x3040);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_write, TLB_INVALID);
    ck_assert_int_eq(access(WR, lin + 0x42, 1, false, 0x90), -1);
    ck_assert_int_eq(hook_calls, 2);
    ck_assert_uint_eq(bus_read(bus, PHYS + 0x3040, 4), 0x00909090);

    /* The page table itself on a code page: the accessed/dirty update is a
     * bus write, so the hook sees it. */
    hook_calls = 0;
    wr32(pte_addr(LIN + 0x5000), (PHYS + 0x5000) | P | RW); /* A and D clear */
    bus_mark_code(bus, PT1);
    ck_assert_int_eq(access(RD, LIN + 0x5000, 1, false, 0), -1);
    ck_assert_int_eq(hook_calls, 1);
    ck_assert_uint_eq(hook_addr[0], pte_addr(LIN + 0x5000));
    ck_assert_int_eq(access(WR, LIN + 0x5000, 1, false, 1), -1);
    ck_assert_int_eq(hook_calls, 2);
    ck_assert_uint_eq(rd32(pte_addr(LIN + 0x5000)), (PHYS + 0x5000) | P | RW | A | D);
    /* A page that stops holding code regains its fast write entry. */
    bus_clear_code(bus, PHYS + 0x3000);
    ck_assert_int_eq(access(WR, lin, 1, false, 0), -1);
    ck_assert_uint_eq(cpu->tlb_set[0][idx].tag_write, lin);
    bus_set_code_hook(bus, NULL, NULL);
}
END_TEST

/* ---- instructions: MOV CR0, MOV CR4, INVLPG ---- */

static int exec_insn(const uint8_t *bytes, size_t n)
{
    DecodedInsn d;
    ck_assert_int_eq(decode_insn(bytes, n, cpu->code32, &d), (int)n);
    cpu->jmp = &jb;
    cpu->exc_vector = -1;
    if (sigsetjmp(jb, 0)) {
        cpu->jmp = NULL;
        return cpu->exc_vector;
    }
    cpu->next_eip = cpu->eip + d.len;
    d.fn(cpu, &d);
    cpu->jmp = NULL;
    return -1;
}

START_TEST(test_mov_cr_and_invlpg)
{
    static const uint8_t mov_cr0_eax[] = {0x0F, 0x22, 0xC0};
    static const uint8_t mov_cr4_eax[] = {0x0F, 0x22, 0xE0};
    static const uint8_t invlpg_eax[] = {0x0F, 0x01, 0x38};
    cpu->cr[0] = CR0_ET;
    cpu->cpl = 0;
    cpu->code32 = false;
    /* PG without PE: #GP. */
    cpu->regs[R_EAX] = CR0_PG | CR0_ET;
    ck_assert_int_eq(exec_insn(mov_cr0_eax, 3), EXC_GP);
    ck_assert_uint_eq(cpu->cr[0] & CR0_PG, 0);
    /* PE and PG: accepted, flushes. */
    cpu->regs[R_EAX] = CR0_PG | CR0_PE | CR0_ET;
    flushes = 0;
    ck_assert_int_eq(exec_insn(mov_cr0_eax, 3), -1);
    ck_assert_uint_eq(cpu->cr[0] & (CR0_PG | CR0_PE), CR0_PG | CR0_PE);
    ck_assert_int_eq(flushes, 1);
    /* CR4.PAE is refused; PSE and PGE are taken. */
    cpu->regs[R_EAX] = CR4_PAE;
    ck_assert_int_eq(exec_insn(mov_cr4_eax, 3), EXC_GP);
    cpu->regs[R_EAX] = CR4_PSE | CR4_PGE;
    ck_assert_int_eq(exec_insn(mov_cr4_eax, 3), -1);
    ck_assert_uint_eq(cpu->cr[4], CR4_PSE | CR4_PGE);
    /* WP changes flush too. */
    flushes = 0;
    cpu->regs[R_EAX] = CR0_PG | CR0_PE | CR0_ET | CR0_WP;
    ck_assert_int_eq(exec_insn(mov_cr0_eax, 3), -1);
    ck_assert_int_eq(flushes, 1);

    /* INVLPG [eax] (16-bit addressing: [bx+si]... use 0x67 for eax). */
    static const uint8_t invlpg_a32[] = {0x67, 0x0F, 0x01, 0x38};
    (void)invlpg_eax;
    wr32(pte_addr(LIN), PHYS | P | RW | A | D | G);
    wr32(PHYS, 0x1111);
    wr32(PHYS + 0x1000, 0x2222);
    cpu_tlb_flush(cpu);
    ck_assert_int_eq(access(RD, LIN, 4, false, 0), -1);
    wr32(pte_addr(LIN), (PHYS + 0x1000) | P | RW | A | D | G);
    cpu_set_cr3(cpu, PD);
    ck_assert_int_eq(access(RD, LIN, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x1111); /* global, kept */
    cpu->seg[S_DS].base = 0x100;    /* the segment base counts */
    cpu->regs[R_EAX] = LIN + 0x10 - 0x100;
    flushes = 0;
    ck_assert_int_eq(exec_insn(invlpg_a32, 4), -1);
    ck_assert_int_eq(flushes, 1);
    ck_assert_int_eq(access(RD, LIN, 4, false, 0), -1);
    ck_assert_uint_eq(got, 0x2222);
    /* INVLPG at CPL 3: #GP. */
    cpu->cpl = 3;
    ck_assert_int_eq(exec_insn(invlpg_a32, 4), EXC_GP);
    cpu->cpl = 0;
}
END_TEST

/* ---- instruction fetch ---- */

START_TEST(test_fetch_error_codes)
{
    const uint32_t sup = LIN + 0x1000, usr = LIN + 0x2000, np = LIN + 0x3000;
    wr32(pte_addr(sup), (PHYS + 0x1000) | P | RW);
    wr32(pte_addr(usr), (PHYS + 0x2000) | P | US);
    wr32(pte_addr(np), (PHYS + 0x3000) | RW | US);
    set_paging(CR0_WP, 0);
    cpu->cpl = 0;
    ck_assert_int_eq(access(FETCH, sup + 0x10, 1, false, 0), -1);
    ck_assert_uint_eq(got, PHYS + 0x1010);
    ck_assert_int_eq(access(FETCH, usr + 0x10, 1, false, 0), -1);
    CK_PF(access(FETCH, np + 0x20, 1, false, 0), 0, np + 0x20);
    cpu->cpl = 3;
    /* The supervisor page is in the TLB (set 0) but a CPL 3 fetch faults. */
    CK_PF(access(FETCH, sup + 0x10, 1, false, 0), PF_P | PF_U, sup + 0x10);
    ck_assert_int_eq(access(FETCH, usr + 0x30, 1, false, 0), -1);
    ck_assert_uint_eq(got, PHYS + 0x2030);
    CK_PF(access(FETCH, np + 0x20, 1, false, 0), PF_U, np + 0x20);
    cpu->cpl = 0;
}
END_TEST

/* Flat 32-bit code at CPL 0 through the execution loop. */
static Translator *tb;

static void flat_cpu(unsigned rpl)
{
    SegReg code = {.sel = (uint16_t)(0x08 | rpl),
                   .base = 0,
                   .limit = 0xFFFFFFFFu,
                   .attr = SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_A | SEG_DB | SEG_G |
                           (uint16_t)(rpl << SEG_DPL_SHIFT)};
    SegReg data = {.sel = (uint16_t)(0x10 | rpl),
                   .base = 0,
                   .limit = 0xFFFFFFFFu,
                   .attr = SEG_P | SEG_S | SEG_RW | SEG_A | SEG_DB | SEG_G |
                           (uint16_t)(rpl << SEG_DPL_SHIFT)};
    cpu->seg[S_CS] = code;
    cpu->seg[S_DS] = cpu->seg[S_ES] = cpu->seg[S_SS] = data;
    cpu->seg[S_FS] = cpu->seg[S_GS] = data;
    cpu->cr[0] = CR0_PE | CR0_PG | CR0_ET;
    cpu_update_mode(cpu);
    cpu_tlb_flush(cpu);
}

static CpuExit run_at(uint32_t eip)
{
    cpu->eip = eip;
    cpu->halted = false;
    clk.stop_insns = cpu->icount + 1000;
    return tb_exec(tb);
}

START_TEST(test_fetch_through_loop)
{
    tb = tb_new(cpu);
    ck_assert_ptr_nonnull(tb);
    flat_cpu(0);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert(cpu->code32);
    /* Code at LIN (phys PHYS+0x1000): mov eax,[LIN+0x5000]; mov [LIN+0x5004],eax; hlt */
    static const uint8_t prog[] = {0xA1, 0x00, 0x50, 0x40, 0x00, 0xA3,
                                   0x04, 0x50, 0x40, 0x00, 0xF4};
    static const uint8_t prog2[] = {0xB8, 0x22, 0x22, 0x00, 0x00, 0xF4}; /* mov eax, 0x2222; hlt */
    bus_write_block(bus, PHYS + 0x1000, prog, sizeof prog);
    bus_write_block(bus, PHYS + 0x2000, prog2, sizeof prog2);
    wr32(pte_addr(LIN), (PHYS + 0x1000) | P | RW);
    wr32(pte_addr(LIN + 0x5000), (PHYS + 0x5000) | P | RW);
    wr32(PHYS + 0x5000, 0x31415926);
    ck_assert_int_eq(run_at(LIN), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0x31415926);
    ck_assert_uint_eq(rd32(PHYS + 0x5004), 0x31415926);
    ck_assert_uint_eq(cpu->eip, LIN + sizeof prog);
    ck_assert_uint_eq(rd32(pte_addr(LIN)) & (A | D), A);
    ck_assert_uint_eq(rd32(pte_addr(LIN + 0x5000)) & (A | D), A | D);

    /* Remap the code page and INVLPG it: the same linear address runs the
     * other code (the jump cache is cleared by the flush). */
    wr32(pte_addr(LIN), (PHYS + 0x2000) | P | RW);
    cpu_tlb_flush_page(cpu, LIN);
    ck_assert_int_eq(run_at(LIN), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0x2222);

    /* An instruction straddling into a not-present page: #PF for it, with
     * CR2 = the first byte of the second page; it does not run. */
    static const uint8_t straddle[] = {0xB8, 0x78, 0x56}; /* mov eax, 0x..345678 */
    wr32(pte_addr(LIN + 0x6000), (PHYS + 0x6000) | P | RW);
    wr32(pte_addr(LIN + 0x7000), 0);
    bus_write_block(bus, PHYS + 0x6FFD, straddle, sizeof straddle);
    cpu->regs[R_EAX] = 0;
    cpu->cr[2] = 0;
    uint64_t exc0 = tb_stats(tb)->exceptions;
    (void)run_at(LIN + 0x6FFD);
    ck_assert_uint_eq(cpu->cr[2], LIN + 0x7000);
    ck_assert_uint_gt(tb_stats(tb)->exceptions, exc0);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0);
    /* The same block, now cached, after the second page went away again:
     * the cached straddling block must fault too, not run stale bytes. */
    static const uint8_t tail[] = {0x34, 0x12, 0xF4}; /* ..12345678; hlt */
    wr32(pte_addr(LIN + 0x7000), (PHYS + 0x7000) | P | RW);
    bus_write_block(bus, PHYS + 0x7000, tail, sizeof tail);
    cpu_tlb_flush(cpu);
    cpu->shutdown = false;
    ck_assert_int_eq(run_at(LIN + 0x6FFD), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0x12345678);
    wr32(pte_addr(LIN + 0x7000), 0);
    cpu_set_cr3(cpu, PD);
    cpu->cr[2] = 0;
    cpu->regs[R_EAX] = 0;
    exc0 = tb_stats(tb)->exceptions;
    (void)run_at(LIN + 0x6FFD);
    ck_assert_uint_eq(cpu->cr[2], LIN + 0x7000);
    ck_assert_uint_gt(tb_stats(tb)->exceptions, exc0);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0);
    /* ...and with the second page mapped elsewhere the block is not reused. */
    static const uint8_t tail2[] = {0x00, 0x00, 0xF4};
    wr32(pte_addr(LIN + 0x7000), (PHYS + 0x8000) | P | RW);
    bus_write_block(bus, PHYS + 0x8000, tail2, sizeof tail2);
    cpu_set_cr3(cpu, PD);
    cpu->shutdown = false;
    ck_assert_int_eq(run_at(LIN + 0x6FFD), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0x00005678);

    /* CPL 3 fetching from a supervisor page: #PF, CR2 = EIP. */
    flat_cpu(3);
    ck_assert_int_eq(cpu->cpl, 3);
    cpu->shutdown = false;
    cpu->cr[2] = 0;
    exc0 = tb_stats(tb)->exceptions;
    (void)run_at(LIN + 0x10);
    ck_assert_uint_eq(cpu->cr[2], LIN + 0x10);
    ck_assert_uint_gt(tb_stats(tb)->exceptions, exc0);
    tb_free(tb);
    tb = NULL;
}
END_TEST

/* ---- segments: the inline check never allows what the full one refuses ---- */

/* cpu_seg_check_slow on DS:0100, 4 bytes: the vector it raises, or -1. */
static int slow_check(bool write)
{
    cpu->jmp = &jb;
    cpu->exc_vector = -1;
    if (sigsetjmp(jb, 0)) {
        cpu->jmp = NULL;
        return cpu->exc_vector;
    }
    cpu_seg_check_slow(cpu, S_DS, 0x100, 4, write);
    cpu->jmp = NULL;
    return -1;
}

START_TEST(test_seg_fast_path_is_safe)
{
    /* Every attribute byte (type, S, DPL, P), with and without D/B, read
     * and write, real / protected / v86 mode: if the inline path accepts
     * an in-limit access, cpu_seg_check_slow must accept it too. */
    static const uint32_t modes[3][2] = {{0, 0}, {CR0_PE, 0}, {CR0_PE, F_VM}};
    unsigned fast_pm = 0;
    for (unsigned m = 0; m < 3; m++) {
        cpu->cr[0] = CR0_ET | modes[m][0];
        cpu->eflags = 0x2 | modes[m][1];
        for (unsigned attr = 0; attr < 0x200; attr++) {
            SegReg s = {.sel = 0x10,
                        .base = 0x1000,
                        .limit = 0xFFFF,
                        .attr = (uint16_t)((attr & 0xFF) | ((attr & 0x100) ? SEG_DB : 0))};
            cpu->seg[S_DS] = s;
            for (int w = 0; w < 2; w++) {
                if (!cpu_seg_fast(&s, w)) continue;
                if (m == 1) fast_pm++;
                int v = slow_check(w);
                ck_assert_msg(v == -1,
                              "inline path accepts attr %03x %s in mode %u; the full check "
                              "raises %d",
                              attr, w ? "write" : "read", m, v);
            }
        }
    }
    /* And it does take the common protected-mode cases. */
    ck_assert_uint_gt(fast_pm, 0);
    SegReg flat_data = {.attr = SEG_P | SEG_S | SEG_RW | SEG_A | SEG_DB | SEG_G};
    SegReg ro_data = {.attr = SEG_P | SEG_S | SEG_A};
    SegReg code_r = {.attr = SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_DB};
    SegReg code_x = {.attr = SEG_P | SEG_S | SEG_CODE | SEG_DB};
    SegReg down = {.attr = SEG_P | SEG_S | SEG_RW | SEG_DC};
    ck_assert(cpu_seg_fast(&flat_data, false) && cpu_seg_fast(&flat_data, true));
    ck_assert(cpu_seg_fast(&ro_data, false) && !cpu_seg_fast(&ro_data, true));
    ck_assert(cpu_seg_fast(&code_r, false) && !cpu_seg_fast(&code_r, true));
    ck_assert(!cpu_seg_fast(&code_x, false) && !cpu_seg_fast(&code_x, true));
    ck_assert(!cpu_seg_fast(&down, false) && !cpu_seg_fast(&down, true));

    /* Through cpu_rd/cpu_wr in protected mode: the faults are right. */
    cpu->cr[0] = CR0_PE | CR0_ET;
    cpu->eflags = 0x2;
    cpu_tlb_flush(cpu);
    cpu->seg[S_DS] = (SegReg){.sel = 0x10, .base = 0x20000, .limit = 0xFFF, .attr = ro_data.attr};
    cpu->seg[S_SS] = (SegReg){.sel = 0x18, .base = 0x30000, .limit = 0xFFF, .attr = flat_data.attr};
    cpu->cpl = 0;
    cpu->jmp = &jb;
    cpu->exc_vector = -1;
    if (!sigsetjmp(jb, 0)) {
        wr32(0x20FFC, 0xFEEDFACE);
        ck_assert_uint_eq(cpu_rd32(cpu, S_DS, 0xFFC), 0xFEEDFACE);
        cpu_wr8(cpu, S_SS, 0xFFF, 0x5A);
        ck_assert_uint_eq(bus_read(bus, 0x30FFF, 1), 0x5A);
        cpu_wr8(cpu, S_DS, 0, 1);
        ck_abort_msg("a write to a read-only data segment did not fault");
    }
    ck_assert_int_eq(cpu->exc_vector, EXC_GP);
    cpu->exc_vector = -1;
    if (!sigsetjmp(jb, 0)) {
        (void)cpu_rd16(cpu, S_SS, 0xFFF);
        ck_abort_msg("a read past the SS limit did not fault");
    }
    ck_assert_int_eq(cpu->exc_vector, EXC_SS);
    cpu->jmp = NULL;
}
END_TEST

static Suite *paging_suite(void)
{
    Suite *s = suite_create("paging");
    TCase *tc = tcase_create("paging");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_4k_translation);
    tcase_add_test(tc, test_rights_matrix);
    tcase_add_test(tc, test_not_present);
    tcase_add_test(tc, test_4m_pages);
    tcase_add_test(tc, test_dirty_first_write);
    tcase_add_test(tc, test_user_never_uses_supervisor_entry);
    tcase_add_test(tc, test_global_pages);
    tcase_add_test(tc, test_invlpg_large_page);
    tcase_add_test(tc, test_page_crossing);
    tcase_add_test(tc, test_a20_mask);
    tcase_add_test(tc, test_code_page_writes_reach_hook);
    tcase_add_test(tc, test_mov_cr_and_invlpg);
    tcase_add_test(tc, test_fetch_error_codes);
    tcase_add_test(tc, test_fetch_through_loop);
    tcase_add_test(tc, test_seg_fast_path_is_safe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(paging_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
