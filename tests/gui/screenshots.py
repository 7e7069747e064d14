"""Screenshots for the desktop tests with python3's standard library only: reads what `xwd`
writes (X Window Dump, 24/32-bit TrueColor as Xvfb gives), crops, names the dominant state
colour, and writes small PNGs."""

import colorsys
import struct
import subprocess
import zlib


class Image:
    """RGB pixels, row by row."""

    def __init__(self, width, height, rows):
        self.width = width
        self.height = height
        self.rows = rows  # list of bytes, 3 per pixel

    def pixel(self, x, y):
        row = self.rows[y]
        return row[3 * x], row[3 * x + 1], row[3 * x + 2]

    def crop(self, left, top, width, height):
        left, top = max(0, left), max(0, top)
        width = min(width, self.width - left)
        height = min(height, self.height - top)
        return Image(width, height, [self.rows[y][3 * left:3 * (left + width)]
                                     for y in range(top, top + height)])

    def save_png(self, path):
        raw = b"".join(b"\x00" + row for row in self.rows)  # filter type 0 on every row

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        with open(path, "wb") as out:
            out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
                      chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def parse_xwd(data):
    """An Image from an X Window Dump in ZPixmap form, 24 or 32 bits a pixel (TrueColor)."""
    fields = struct.unpack(">25I", data[:100])
    header_size, pixmap_format = fields[0], fields[2]
    width, height, byte_order = fields[4], fields[5], fields[7]
    bits_per_pixel, bytes_per_line = fields[11], fields[12]
    red_mask, green_mask, blue_mask = fields[14], fields[15], fields[16]
    ncolors = fields[19]
    if pixmap_format != 2 or bits_per_pixel not in (24, 32):
        raise ValueError(f"xwd: format {pixmap_format} with {bits_per_pixel} bits per pixel; "
                         "expected ZPixmap with 24 or 32")
    order = "<" if byte_order == 0 else ">"
    step = bits_per_pixel // 8
    offset = header_size + 12 * ncolors
    standard = (red_mask, green_mask, blue_mask) == (0xFF0000, 0xFF00, 0xFF) and order == "<"
    shifts = [(mask, (mask & -mask).bit_length() - 1) for mask in (red_mask, green_mask, blue_mask)]
    rows = []
    for y in range(height):
        packed = data[offset + y * bytes_per_line:offset + y * bytes_per_line + step * width]
        row = bytearray(3 * width)
        if standard:  # blue, green, red[, unused] in memory order: reorder with slices
            row[0::3], row[1::3], row[2::3] = packed[2::step], packed[1::step], packed[0::step]
        else:
            for x in range(width):
                word = int.from_bytes(packed[step * x:step * x + step],
                                      "little" if order == "<" else "big")
                for channel, (mask, shift) in enumerate(shifts):
                    row[3 * x + channel] = (word & mask) >> shift
        rows.append(bytes(row))
    return Image(width, height, rows)


class CaptureError(RuntimeError):
    """xwd could not take the picture (for example, the window went away meanwhile)."""


def capture(display, window="root"):
    args = ["xwd", "-silent", "-display", display]
    args += ["-root"] if window == "root" else ["-id", window]
    done = subprocess.run(args, capture_output=True)
    if done.returncode != 0:
        raise CaptureError(f"{' '.join(args)}: exit {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()}")
    return parse_xwd(done.stdout)


# Hue ranges (degrees) of the tray's three colours (tray/app/StateIcon.cpp) and their shades.
STATE_HUES = {"red": [(0, 15), (330, 360)], "amber": [(25, 55)], "green": [(90, 170)]}


def state_of(rgb):
    """The state colour a pixel shows, or None for greys, text and the panel."""
    hue, saturation, value = colorsys.rgb_to_hsv(*(channel / 255.0 for channel in rgb))
    if saturation < 0.45 or value < 0.35:
        return None
    degrees = hue * 360
    for state, ranges in STATE_HUES.items():
        if any(low <= degrees < high for low, high in ranges):
            return state
    return None


def dominant_state(image):
    """(state, share of the coloured pixels, coloured pixel count); state None if none."""
    counts = {}
    for y in range(image.height):
        for x in range(image.width):
            state = state_of(image.pixel(x, y))
            if state:
                counts[state] = counts.get(state, 0) + 1
    total = sum(counts.values())
    if not total:
        return None, 0.0, 0
    state = max(counts, key=counts.get)
    return state, counts[state] / total, total


def coloured_bounds(image):
    """(left, top, right, bottom) of the pixels showing a state colour, or None."""
    xs, ys = [], []
    for y in range(image.height):
        for x in range(image.width):
            if state_of(image.pixel(x, y)):
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def changed_bounds(before, after):
    """(left, top, right, bottom) of the pixels that differ between two same-sized images."""
    xs, ys = [], []
    for y in range(before.height):
        if before.rows[y] == after.rows[y]:
            continue
        for x in range(before.width):
            if before.pixel(x, y) != after.pixel(x, y):
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)
