/*
 * mmu.c - the slow paths of guest memory access: segment checks that the
 * inline path does not cover, paging (linear -> physical), the soft TLB,
 * page-crossing and MMIO accesses.
 *
 * SDM Vol. 3 section 5.3 (limit checking, expand-down segments), 5.4-5.5
 * (type and privilege checks on data access), chapter 4 "Paging" for
 * 32-bit paging: 4.3 (the two-level walk, 4 KiB pages and 4 MiB pages with
 * CR4.PSE and PDE.PS), 4.6 (access rights: U/S, R/W, CR0.WP, implicit
 * supervisor accesses), 4.7 (#PF error code, CR2), 4.8 (accessed and dirty
 * flags), 4.10 (TLBs: global pages with CR4.PGE, what MOV CR3, INVLPG and
 * control register writes invalidate); 20.1 (the A20 line masks physical
 * bit 20, of page-walk addresses too).
 *
 * The soft TLB is direct-mapped, one set per privilege (cpu.h): a
 * supervisor access and a CPL 3 access never share an entry, so the rights
 * check is done once, at fill time, for the privilege of the set. Each set
 * has a fast part (TlbEntry: read and write tags and a host addend, used
 * inline by mem.h) and the translation behind it (TlbXlat: the physical
 * page and whether a write needs a walk), which also covers MMIO pages and
 * instruction fetch. Pages are cached by 4 KiB even inside a 4 MiB page.
 *
 * Known deviations:
 * - A walk that ends in #PF sets no accessed flag (as Bochs; the SDM lets
 *   a CPU set it on entries it used, and no OS depends on either).
 * - No paging-structure caches: every walk reads the PDE and PTE, so a
 *   changed PDE takes effect at the next TLB miss even without INVLPG (real
 *   CPUs may keep using the old one until invalidated: both are allowed).
 * - Bits 13-21 of a 4 MiB PDE are reserved (no PSE-36): #PF with RSVD. Bit
 *   12 (PAT on later CPUs) is ignored. PAE is not supported (CR4.PAE
 *   cannot be set).
 * - PCD/PWT are ignored (no cache model).
 */
#include "cpu/mem.h"

#include "devices/core/log.h"

/* Page-table entry bits (SDM Vol. 3 Tables 4-4 to 4-6). */
enum {
    PTE_P = 1u << 0,
    PTE_RW = 1u << 1,
    PTE_US = 1u << 2,
    PTE_A = 1u << 5,
    PTE_D = 1u << 6,
    PTE_PS = 1u << 7,
    PTE_G = 1u << 8,
};
#define PDE_4M_RSVD 0x003FE000u /* bits 13-21 of a 4 MiB PDE */

/* #PF error code bits (SDM Vol. 3 4.7). */
enum { PF_P = 1u << 0, PF_W = 1u << 1, PF_U = 1u << 2, PF_RSVD = 1u << 3 };

/* ---- segments ---------------------------------------------------------- */

_Noreturn void cpu_seg_fault(Cpu *cpu, int seg)
{
    cpu_exception(cpu, seg == S_SS ? EXC_SS : EXC_GP, 0);
}

void cpu_seg_check_slow(Cpu *cpu, int seg, uint32_t off, unsigned size, bool write)
{
    const SegReg *s = &cpu->seg[seg];
    uint32_t last = off + size - 1;
    if ((cpu->cr[0] & CR0_PE) && !(cpu->eflags & F_VM)) {
        /* A null or otherwise unusable selector leaves P clear. */
        if (!(s->attr & SEG_P)) cpu_seg_fault(cpu, seg);
        if (s->attr & SEG_CODE) {
            if (write || !(s->attr & SEG_RW)) cpu_seg_fault(cpu, seg);
        } else if (write && !(s->attr & SEG_RW)) {
            cpu_seg_fault(cpu, seg);
        }
    }
    if ((s->attr & (SEG_CODE | SEG_DC)) == SEG_DC) {
        /* Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF. */
        uint32_t upper = (s->attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (off <= s->limit || last > upper || last < off) cpu_seg_fault(cpu, seg);
    } else {
        if (off > s->limit || s->limit - off < size - 1) cpu_seg_fault(cpu, seg);
    }
}

/* ---- the page walk ------------------------------------------------------ */

static _Noreturn void page_fault(Cpu *cpu, uint32_t lin, uint32_t err)
{
    cpu->cr[2] = lin;
    cpu_exception(cpu, EXC_PF, err);
}

/* Walks the page tables for lin (SDM Vol. 3 4.3), checks the rights for a
 * write/read by a user/supervisor access, sets the accessed and dirty flags
 * and returns the physical page. *perm receives the TLBX_* bits: TLBX_WRITE
 * when a write at this privilege may now go ahead without a walk (allowed,
 * and the dirty flag is set). Raises #PF. Paging off: lin & A20, any access. */
static uint32_t mmu_walk(Cpu *cpu, uint32_t lin, bool write, bool user, uint32_t *perm)
{
    uint32_t a20 = cpu->a20_mask;
    if (!(cpu->cr[0] & CR0_PG)) {
        *perm = TLBX_WRITE;
        return lin & a20 & ~0xFFFu;
    }
    Bus *bus = cpu->bus;
    uint32_t err = (write ? PF_W : 0) | (user ? PF_U : 0);
    uint32_t pde_addr = ((cpu->cr[3] & ~0xFFFu) | ((lin >> 20) & 0xFFCu)) & a20;
    uint32_t pde = bus_read(bus, pde_addr, 4);
    if (!(pde & PTE_P)) page_fault(cpu, lin, err);

    uint32_t leaf, leaf_addr, rights, phys;
    bool large = (pde & PTE_PS) && (cpu->cr[4] & CR4_PSE);
    if (large) {
        if (pde & PDE_4M_RSVD) page_fault(cpu, lin, err | PF_P | PF_RSVD);
        leaf = pde;
        leaf_addr = pde_addr;
        rights = pde;
        phys = (pde & 0xFFC00000u) | (lin & 0x003FF000u);
    } else {
        leaf_addr = ((pde & ~0xFFFu) | ((lin >> 10) & 0xFFCu)) & a20;
        leaf = bus_read(bus, leaf_addr, 4);
        if (!(leaf & PTE_P)) page_fault(cpu, lin, err);
        rights = pde & leaf; /* both levels must allow U and W */
        phys = leaf & ~0xFFFu;
    }

    /* Rights (SDM 4.6, 32-bit paging): a user access needs U/S set at both
     * levels, a user write R/W too; a supervisor write needs R/W only when
     * CR0.WP is set. */
    bool may_write;
    if (user) {
        if (!(rights & PTE_US)) page_fault(cpu, lin, err | PF_P);
        may_write = (rights & PTE_RW) != 0;
    } else {
        may_write = !(cpu->cr[0] & CR0_WP) || (rights & PTE_RW);
    }
    if (write && !may_write) page_fault(cpu, lin, err | PF_P);

    /* Accessed and dirty flags: a locked read-modify-write of the entry on
     * the bus, so a write into a page that holds decoded code reaches the
     * translator's hook. Only when a flag actually changes. */
    if (!large && !(pde & PTE_A)) bus_write(bus, pde_addr, pde | PTE_A, 4);
    uint32_t want = PTE_A | (write ? PTE_D : 0);
    if ((leaf & want) != want) {
        leaf |= want;
        bus_write(bus, leaf_addr, leaf, 4);
    }

    *perm = (may_write && (leaf & PTE_D) ? TLBX_WRITE : 0) |
            ((leaf & PTE_G) && (cpu->cr[4] & CR4_PGE) ? TLBX_GLOBAL : 0) | (large ? TLBX_LARGE : 0);
    return phys & a20;
}

bool cpu_translate_debug(Cpu *cpu, uint32_t lin, uint32_t *phys)
{
    uint32_t a20 = cpu->a20_mask;
    if (!(cpu->cr[0] & CR0_PG)) {
        *phys = lin & a20;
        return true;
    }
    uint32_t pde = bus_read(cpu->bus, ((cpu->cr[3] & ~0xFFFu) | ((lin >> 20) & 0xFFCu)) & a20, 4);
    if (!(pde & PTE_P)) return false;
    if ((pde & PTE_PS) && (cpu->cr[4] & CR4_PSE)) {
        if (pde & PDE_4M_RSVD) return false;
        *phys = ((pde & 0xFFC00000u) | (lin & 0x003FFFFFu)) & a20;
        return true;
    }
    uint32_t pte = bus_read(cpu->bus, ((pde & ~0xFFFu) | ((lin >> 10) & 0xFFCu)) & a20, 4);
    if (!(pte & PTE_P)) return false;
    *phys = ((pte & ~0xFFFu) | (lin & 0xFFFu)) & a20;
    return true;
}

/* ---- the TLB ------------------------------------------------------------ */

static bool dbg_page_watched(const Cpu *cpu, uint32_t page);

/* Sets a fast entry from the translation x of its slot. */
static void tlb_set_fast(Cpu *cpu, TlbEntry *e, const TlbXlat *x)
{
    uint32_t page = x->tag, phys = x->phys & ~0xFFFu;
    uint8_t *host = bus_page_host(cpu->bus, phys);
    if (!host || (cpu->dbg_data_bps && dbg_page_watched(cpu, page))) {
        /* MMIO, unmapped, or a page under a data breakpoint: every access
         * takes the slow path. */
        e->tag_read = TLB_INVALID;
        e->tag_write = TLB_INVALID;
        return;
    }
    e->addend = (uintptr_t)host - page;
    e->tag_read = page;
    e->tag_write =
        (x->phys & TLBX_WRITE) && !(bus_page_flags(cpu->bus, phys) & (PAGE_READONLY | PAGE_CODE))
            ? page
            : TLB_INVALID;
}

/* Translates lin for an access, through the TLB of the given privilege:
 * a hit needs no walk (for a write: a TLBX_WRITE entry); a miss walks and
 * fills both parts of the slot. Returns the physical address. */
static uint32_t mmu_xlat(Cpu *cpu, uint32_t lin, bool write, bool user)
{
    unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    TlbXlat *x = &cpu->tlb_xlat[user][idx];
    TlbEntry *e = &cpu->tlb_set[user][idx];
    uint32_t page = lin & ~0xFFFu;
    if (x->tag == page && (!write || (x->phys & TLBX_WRITE))) {
        /* The fast part may be stale (a page that stopped holding code
         * regains its write tag here). */
        if (e->tag_read != page || (write && e->tag_write != page)) tlb_set_fast(cpu, e, x);
        return (x->phys & ~0xFFFu) | (lin & 0xFFFu);
    }
    uint32_t perm;
    uint32_t phys = mmu_walk(cpu, lin, write, user, &perm);
    x->tag = page;
    x->phys = phys | perm;
    if (perm & TLBX_GLOBAL) cpu->tlb_has_global = true;
    if (perm & TLBX_LARGE) cpu->tlb_has_large = true;
    tlb_set_fast(cpu, e, x);
    return phys | (lin & 0xFFFu);
}

uint32_t cpu_translate(Cpu *cpu, uint32_t lin, bool write, bool user)
{
    return mmu_xlat(cpu, lin, write, user);
}

uint32_t cpu_fetch_phys(Cpu *cpu, uint32_t lin)
{
    bool user = cpu_user_access(cpu);
    const TlbXlat *x = &cpu->tlb_xlat[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(x->tag == (lin & ~0xFFFu), 1)) return (x->phys & ~0xFFFu) | (lin & 0xFFFu);
    return mmu_xlat(cpu, lin, false, user);
}

void cpu_tlb_fill(Cpu *cpu, uint32_t lin, bool write)
{
    (void)mmu_xlat(cpu, lin, write, cpu_user_access(cpu));
}

/* Invalidates both parts of every slot (keep_global: except global pages). */
static void tlb_clear(Cpu *cpu, bool keep_global)
{
    if (keep_global && cpu->tlb_has_global) {
        bool large = false;
        for (int u = 0; u < 2; u++)
            for (unsigned i = 0; i < TLB_SIZE; i++) {
                TlbXlat *x = &cpu->tlb_xlat[u][i];
                if (x->tag != TLB_INVALID && (x->phys & TLBX_GLOBAL)) {
                    large |= (x->phys & TLBX_LARGE) != 0;
                    continue;
                }
                x->tag = TLB_INVALID;
                cpu->tlb_set[u][i].tag_read = TLB_INVALID;
                cpu->tlb_set[u][i].tag_write = TLB_INVALID;
            }
        cpu->tlb_has_large = large;
        return;
    }
    /* All bytes 0xFF: every tag becomes TLB_INVALID. */
    memset(cpu->tlb_set, 0xFF, sizeof cpu->tlb_set);
    memset(cpu->tlb_xlat, 0xFF, sizeof cpu->tlb_xlat);
    cpu->tlb_has_global = false;
    cpu->tlb_has_large = false;
}

/* Invalidates the page holding lin in both sets; with 4 MiB entries
 * cached, every slot of the 4 MiB page holding lin too (INVLPG drops the
 * whole large page, SDM Vol. 3 4.10.4.1). */
static void tlb_clear_page(Cpu *cpu, uint32_t lin)
{
    unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    for (int u = 0; u < 2; u++) {
        if (cpu->tlb_xlat[u][idx].tag == (lin & ~0xFFFu)) {
            cpu->tlb_xlat[u][idx].tag = TLB_INVALID;
            cpu->tlb_set[u][idx].tag_read = TLB_INVALID;
            cpu->tlb_set[u][idx].tag_write = TLB_INVALID;
        }
    }
    if (!cpu->tlb_has_large) return;
    for (int u = 0; u < 2; u++)
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            TlbXlat *x = &cpu->tlb_xlat[u][i];
            if (x->tag != TLB_INVALID && (x->phys & TLBX_LARGE) && (x->tag >> 22) == (lin >> 22)) {
                x->tag = TLB_INVALID;
                cpu->tlb_set[u][i].tag_read = TLB_INVALID;
                cpu->tlb_set[u][i].tag_write = TLB_INVALID;
            }
        }
}

/* Every flush also tells the translator, whose jump cache maps linear
 * addresses to blocks (a full clear of it even for one page). */
static void tlb_flushed(Cpu *cpu)
{
    if (cpu->on_tlb_flush) cpu->on_tlb_flush(cpu->hook_opaque);
}

void cpu_tlb_flush(Cpu *cpu)
{
    tlb_clear(cpu, false);
    tlb_flushed(cpu);
}

void cpu_tlb_flush_nonglobal(Cpu *cpu)
{
    tlb_clear(cpu, true);
    tlb_flushed(cpu);
}

void cpu_tlb_flush_page(Cpu *cpu, uint32_t lin)
{
    tlb_clear_page(cpu, lin);
    tlb_flushed(cpu);
}

/* ---- debug breakpoints (SDM Vol. 3 17.2-17.3) ---------------------------- */

/* Breakpoint i's length in bytes from DR7.LENi (10b is undefined on a
 * P6: treated as 8 bytes, as later CPUs define it). */
static unsigned dbg_len(const Cpu *cpu, unsigned i)
{
    static const unsigned len[4] = {1, 2, 8, 4};
    return len[(cpu->dr[7] >> (18 + 4 * i)) & 3];
}

void cpu_dbg_update(Cpu *cpu)
{
    uint8_t code = 0, data = 0, io = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (!((cpu->dr[7] >> (2 * i)) & 3)) continue; /* neither Li nor Gi */
        switch ((cpu->dr[7] >> (16 + 4 * i)) & 3) {
        case 0: code |= (uint8_t)(1u << i); break;
        case 2:
            if (cpu->cr[4] & CR4_DE) io |= (uint8_t)(1u << i);
            break;
        default: data |= (uint8_t)(1u << i); break;
        }
    }
    cpu->dbg_code_bps = code;
    cpu->dbg_io_bps = io;
    if (data != cpu->dbg_data_bps || data) {
        cpu->dbg_data_bps = data;
        /* Pages holding a data breakpoint lose their fast TLB entries. */
        cpu_tlb_flush(cpu);
    }
}

void cpu_dbg_check(Cpu *cpu, uint32_t addr, unsigned size, unsigned kind)
{
    uint8_t bps = kind == 2 ? cpu->dbg_io_bps : cpu->dbg_data_bps;
    for (unsigned i = 0; i < 4; i++) {
        if (!(bps & (1u << i))) continue;
        unsigned rw = (cpu->dr[7] >> (16 + 4 * i)) & 3;
        if (kind != 2 && rw == 1 && kind != 1) continue; /* write-only breakpoint, a read */
        unsigned len = dbg_len(cpu, i);
        uint32_t lo = cpu->dr[i] & ~(uint32_t)(len - 1);
        if (addr < lo + len && lo < addr + size) cpu->dbg_hit |= (uint8_t)(1u << i);
    }
}

static bool dbg_page_watched(const Cpu *cpu, uint32_t page)
{
    for (unsigned i = 0; i < 4; i++) {
        if (!(cpu->dbg_data_bps & (1u << i))) continue;
        uint32_t lo = cpu->dr[i] & ~(uint32_t)(dbg_len(cpu, i) - 1);
        if ((lo & ~0xFFFu) == page || ((lo + dbg_len(cpu, i) - 1) & ~0xFFFu) == page) return true;
    }
    return false;
}

/* ---- slow paths --------------------------------------------------------- */

uint32_t cpu_read_slow(Cpu *cpu, uint32_t lin, unsigned size, bool user)
{
    if (cpu->dbg_data_bps) cpu_dbg_check(cpu, lin, size, 3);
    if ((lin & 0xFFF) + size > 0x1000) {
        /* Crossing a page: byte by byte, each through its own page. */
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= cpu_lrd_pl(cpu, lin + i, 1, user) << (8 * i);
        return v;
    }
    uint32_t phys = mmu_xlat(cpu, lin, false, user);
    uint8_t *p = cpu_tlb_read_ptr_pl(cpu, lin, size, user);
    if (p) return cpu_host_load(p, size);
    return bus_read(cpu->bus, phys, size);
}

void cpu_write_slow(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size, bool user)
{
    if (cpu->dbg_data_bps) cpu_dbg_check(cpu, lin, size, 1);
    if ((lin & 0xFFF) + size > 0x1000) {
        /* Translate both pages before writing anything, so that a fault on
         * the second page leaves memory unchanged; its CR2 is the first byte
         * on that page, as for a read. */
        mmu_xlat(cpu, lin, true, user);
        mmu_xlat(cpu, (lin | 0xFFFu) + 1, true, user);
        for (unsigned i = 0; i < size; i++)
            cpu_lwr_pl(cpu, lin + i, (uint8_t)(val >> (8 * i)), 1, user);
        return;
    }
    uint32_t phys = mmu_xlat(cpu, lin, true, user);
    uint8_t *p = cpu_tlb_write_ptr_pl(cpu, lin, size, user);
    if (p) {
        cpu_host_store(p, val, size);
        return;
    }
    /* ROM (dropped), MMIO, unmapped, or a page holding decoded code (the
     * bus calls the translator's code-write hook). */
    bus_write(cpu->bus, phys, val, size);
}
