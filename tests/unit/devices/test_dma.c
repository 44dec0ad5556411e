/*
 * test_dma.c - the two 8237A DMA controllers and the page registers
 * (devices/dma.c) on a real bus with RAM: programming through the ports and
 * the byte pointer flip-flop, transfers pulled with dma_transfer(), TC in
 * the status register, autoinit, 16-bit channels, masks and the cascade.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/dma.h"

static Bus *bus;
static uint8_t *ram;
static Dma *dma;

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}

static void setup(void)
{
    bus = bus_new();
    ram = bus_add_ram(bus, 0, 16 << 20, "ram");
    dma = dma_new(bus);
    ck_assert_ptr_nonnull(dma);
    /* What a BIOS does: channel 4 in cascade mode and unmasked. */
    out8(0xD6, 0xC0);
    out8(0xD4, 0x00);
}

static void teardown(void)
{
    dma_free(dma);
    bus_free(bus);
}

/* Programs DMA1 channel ch (0-3) for a transfer of count+1 bytes. */
static void program8(unsigned ch, uint8_t mode, uint32_t addr, uint16_t count)
{
    static const uint16_t page_port[4] = {0x87, 0x83, 0x81, 0x82};
    out8(0x0A, (uint8_t)(0x04 | ch)); /* mask */
    out8(0x0C, 0);                    /* clear flip-flop */
    out8(0x0B, (uint8_t)(mode | ch));
    out8((uint16_t)(ch * 2), (uint8_t)addr);
    out8((uint16_t)(ch * 2), (uint8_t)(addr >> 8));
    out8(page_port[ch], (uint8_t)(addr >> 16));
    out8((uint16_t)(ch * 2 + 1), (uint8_t)count);
    out8((uint16_t)(ch * 2 + 1), (uint8_t)(count >> 8));
    out8(0x0A, (uint8_t)ch); /* unmask */
}

START_TEST(test_flip_flop_address_and_count)
{
    out8(0x0C, 0);
    out8(0x04, 0x34);
    out8(0x04, 0x12);
    out8(0x05, 0xFF);
    out8(0x05, 0x01);
    out8(0x0C, 0);
    ck_assert_uint_eq(in8(0x04), 0x34);
    ck_assert_uint_eq(in8(0x04), 0x12);
    ck_assert_uint_eq(in8(0x05), 0xFF);
    ck_assert_uint_eq(in8(0x05), 0x01);
    /* Without clearing, the flip-flop alternates across registers. */
    out8(0x0C, 0);
    ck_assert_uint_eq(in8(0x04), 0x34);
    ck_assert_uint_eq(in8(0x05), 0x01); /* high byte of the count now */
    out8(0x81, 0x5A);
    ck_assert_uint_eq(in8(0x81), 0x5A);
}
END_TEST

START_TEST(test_write_transfer_into_ram_and_tc)
{
    program8(2, 0x44, 0x12340, 511); /* single, write to memory, 512 bytes */
    ck_assert(dma_channel_ready(dma, 2));
    uint8_t buf[600];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    ck_assert_int_eq(dma_transfer(dma, 2, buf, 100, true), 100);
    ck_assert(!dma_terminal_count(dma, 2));
    ck_assert_uint_eq(in8(0x08) & 0x04, 0);
    ck_assert_int_eq(dma_transfer(dma, 2, buf + 100, 500, true), 412); /* count allows 412 */
    ck_assert(dma_terminal_count(dma, 2));
    ck_assert_mem_eq(ram + 0x12340, buf, 512);
    ck_assert_uint_eq(ram[0x12340 + 512], 0);
    /* Current address and count after TC: addr + 512, count 0xFFFF. */
    out8(0x0C, 0);
    ck_assert_uint_eq(in8(0x04), 0x40);
    ck_assert_uint_eq(in8(0x04), 0x25);
    ck_assert_uint_eq(in8(0x05), 0xFF);
    ck_assert_uint_eq(in8(0x05), 0xFF);
    /* TC in the status register, cleared by the read; the channel masked. */
    ck_assert_uint_eq(in8(0x08) & 0x0F, 0x04);
    ck_assert_uint_eq(in8(0x08) & 0x0F, 0x00);
    ck_assert(!dma_channel_ready(dma, 2));
    ck_assert_uint_eq(in8(0x0F) & 0x04, 0x04);
    ck_assert_int_eq(dma_transfer(dma, 2, buf, 10, true), 0);
}
END_TEST

START_TEST(test_read_transfer_from_ram)
{
    for (unsigned i = 0; i < 64; i++)
        ram[0x8000 + i] = (uint8_t)(0xA0 + i);
    program8(1, 0x48, 0x8000, 63); /* read from memory */
    uint8_t buf[64] = {0};
    ck_assert_int_eq(dma_transfer(dma, 1, buf, 64, false), 64);
    ck_assert_mem_eq(buf, ram + 0x8000, 64);
    /* The wrong direction moves nothing into memory. */
    program8(1, 0x48, 0x9000, 63);
    memset(buf, 0xEE, sizeof buf);
    ck_assert_int_eq(dma_transfer(dma, 1, buf, 64, true), 64);
    ck_assert_uint_eq(ram[0x9000], 0);
}
END_TEST

START_TEST(test_autoinit_reloads)
{
    program8(3, 0x54, 0x20000, 15); /* write, autoinit, 16 bytes */
    uint8_t buf[16];
    memset(buf, 0x11, sizeof buf);
    ck_assert_int_eq(dma_transfer(dma, 3, buf, 32, true), 16);
    ck_assert(dma_terminal_count(dma, 3));
    ck_assert_uint_eq(in8(0x08) & 0x08, 0x08);
    /* Still unmasked, back at the base address and count. */
    ck_assert(dma_channel_ready(dma, 3));
    out8(0x0C, 0);
    ck_assert_uint_eq(in8(0x06), 0x00);
    ck_assert_uint_eq(in8(0x06), 0x00);
    ck_assert_uint_eq(in8(0x07), 15);
    ck_assert_uint_eq(in8(0x07), 0);
    memset(buf, 0x22, sizeof buf);
    ck_assert_int_eq(dma_transfer(dma, 3, buf, 8, true), 8);
    ck_assert_uint_eq(ram[0x20000], 0x22);
    ck_assert_uint_eq(ram[0x20008], 0x11);
}
END_TEST

START_TEST(test_decrement_and_page_wrap)
{
    program8(2, 0x64, 0x30002, 3); /* write, decrement */
    uint8_t buf[4] = {1, 2, 3, 4};
    ck_assert_int_eq(dma_transfer(dma, 2, buf, 4, true), 4);
    ck_assert_uint_eq(ram[0x30002], 1);
    ck_assert_uint_eq(ram[0x30001], 2);
    ck_assert_uint_eq(ram[0x30000], 3);
    ck_assert_uint_eq(ram[0x3FFFF], 4); /* wraps in the 64 KiB page, no carry */
    ck_assert_uint_eq(ram[0x2FFFF], 0);
    program8(2, 0x44, 0x4FFFE, 3);
    ck_assert_int_eq(dma_transfer(dma, 2, buf, 4, true), 4);
    ck_assert_uint_eq(ram[0x4FFFE], 1);
    ck_assert_uint_eq(ram[0x4FFFF], 2);
    ck_assert_uint_eq(ram[0x40000], 3);
    ck_assert_uint_eq(ram[0x50000], 0);
}
END_TEST

START_TEST(test_16bit_channel_word_addressing)
{
    /* Channel 5: physical = (page & 0xFE) << 16 | word << 1, so word
     * address 0x8000 on page 0x13 is 0x120000 + 0x10000. */
    out8(0xD4, 0x05); /* mask channel 5 */
    out8(0xD8, 0);    /* clear flip-flop */
    out8(0xD6, 0x45); /* single, write, channel 5 */
    out8(0xC4, 0x00);
    out8(0xC4, 0x80);
    out8(0x8B, 0x13); /* bit 0 is ignored on 16-bit channels */
    out8(0xC6, 3);    /* 4 words */
    out8(0xC6, 0);
    out8(0xD4, 0x01); /* unmask */
    ck_assert(dma_channel_ready(dma, 5));
    uint8_t buf[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ck_assert_int_eq(dma_transfer(dma, 5, buf, 3, true), 2); /* whole words only */
    ck_assert_int_eq(dma_transfer(dma, 5, buf + 2, 9, true), 6);
    ck_assert_mem_eq(ram + 0x130000, buf, 8);
    ck_assert_uint_eq(ram[0x130008], 0);
    ck_assert(dma_terminal_count(dma, 5));
    ck_assert_uint_eq(in8(0xD0) & 0x0F, 0x02);
    out8(0xD8, 0);
    ck_assert_uint_eq(in8(0xC4), 0x04); /* word address advanced by 4 */
    ck_assert_uint_eq(in8(0xC4), 0x80);
}
END_TEST

START_TEST(test_masks_and_cascade)
{
    program8(2, 0x44, 0x1000, 9);
    ck_assert(dma_channel_ready(dma, 2));
    out8(0x0F, 0x04); /* all-mask register */
    ck_assert(!dma_channel_ready(dma, 2));
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x04);
    out8(0x0E, 0); /* clear mask register */
    ck_assert(dma_channel_ready(dma, 2));
    /* Masking channel 4 cuts DMA1 off the bus. */
    out8(0xD4, 0x04);
    ck_assert(!dma_channel_ready(dma, 2));
    uint8_t b = 0x55;
    ck_assert_int_eq(dma_transfer(dma, 2, &b, 1, true), 0);
    out8(0xD4, 0x00);
    ck_assert(dma_channel_ready(dma, 2));
    ck_assert(!dma_channel_ready(dma, 4)); /* the cascade channel itself */
    /* Command register bit 2 disables the controller. */
    out8(0x08, 0x04);
    ck_assert(!dma_channel_ready(dma, 2));
    out8(0x08, 0x00);
    /* Software request shows in the status register. */
    out8(0x09, 0x06);
    ck_assert_uint_eq(in8(0x08) & 0xF0, 0x40);
    out8(0x09, 0x02);
    ck_assert_uint_eq(in8(0x08) & 0xF0, 0x00);
    /* Master clear masks everything. */
    out8(0x0D, 0);
    ck_assert(!dma_channel_ready(dma, 2));
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x0F);
    ck_assert(!dma_channel_ready(dma, 9));
    ck_assert_int_eq(dma_transfer(dma, 9, &b, 1, true), 0);
}
END_TEST

START_TEST(test_verify_moves_nothing)
{
    program8(0, 0x40, 0x5000, 7); /* verify */
    uint8_t buf[8];
    memset(buf, 0x77, sizeof buf);
    ck_assert_int_eq(dma_transfer(dma, 0, buf, 8, true), 8);
    ck_assert_uint_eq(ram[0x5000], 0);
    ck_assert(dma_terminal_count(dma, 0));
}
END_TEST

START_TEST(test_reset)
{
    program8(2, 0x44, 0x1000, 9);
    out8(0x82, 0x12);
    dma_reset(dma);
    ck_assert(!dma_channel_ready(dma, 2));
    ck_assert_uint_eq(in8(0x82), 0);
    ck_assert_uint_eq(in8(0x0F) & 0x0F, 0x0F);
}
END_TEST

static Suite *dma_suite(void)
{
    Suite *s = suite_create("dma");
    TCase *tc = tcase_create("8237");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_flip_flop_address_and_count);
    tcase_add_test(tc, test_write_transfer_into_ram_and_tc);
    tcase_add_test(tc, test_read_transfer_from_ram);
    tcase_add_test(tc, test_autoinit_reloads);
    tcase_add_test(tc, test_decrement_and_page_wrap);
    tcase_add_test(tc, test_16bit_channel_word_addressing);
    tcase_add_test(tc, test_masks_and_cascade);
    tcase_add_test(tc, test_verify_moves_nothing);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dma_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
