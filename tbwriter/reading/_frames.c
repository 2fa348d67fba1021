/* One pass over the records of an event file: where each one is, both of its CRCs checked, and the
   plain scalar events decoded on the way; and the first fields of each record, for reading/skim.py.

       count, status, stop = _frames.scan(buf, offsets, lengths, hardware)
       count, status, stop, values, tags = _frames.scan(buf, offsets, lengths, hardware, marks, points)
       _frames.group(points, values, counts, columns)
       _frames.layouts(buf, offsets, lengths, out)

   The optional C half of reading/index.py (which falls back to numpy without it):
   - buf:      the file's bytes (any read-only buffer);
   - offsets, lengths: writable int64 buffers with room for len(buf) // 16 + 1 records; record i
               starts at offsets[i] and holds lengths[i] bytes of data;
   - hardware: compute CRC-32C with the SSE4.2 instruction (pass HARDWARE; False takes the table).
   Returns how many sound records were found from the start, and why the scan ended at byte `stop`:
   END (the buffer ends there), HEADER (the header there is torn, fails its CRC, or announces more
   bytes than are left: index.py says which) or DATA (the record there fails its data CRC).
   Like TensorBoard's readers, nothing after the first problem is looked at.

   With `marks` (a writable byte a record, room as offsets) and `points`, the events that hold nothing
   but scalars (tags and simple_values) are decoded too: most of a training log after each tag's first
   value (which carries its metadata). marks[i] is 1 for such a record; their `values` go into `points`
   (32 bytes a value, in file order) and `tags` gives (start, size) of each tag's bytes in buf.
   A plain value takes at least 10 bytes of buf, so len(buf) // 10 + 1 points are always room enough;
   with less, the records past it are left unmarked. `group` then writes the points grouped by tag into
   columns of their own; reading/plain.py turns those into the run's and leaves every other record to
   the decoders.

   layouts: for each record found (offsets, lengths as scan gives them), 4 int64 in `out`
   (len(offsets) x 4): see one_value below; skim.py reads the same with numpy when this is not built.

   The rules are stated once, in docs/formats.md: section 1.1 for scan, 1.2 for layouts, firsts and the plain
   scalar events. reading/index.py and reading/skim.py follow the same with numpy where this is not built (the
   plain events excepted: the decoders read those then); tests/framings.py holds both to a plain Python reading.

   Why C: framing is sequential (each header says where the next one is), so numpy can only find
   records by searching every byte offset for known headers; a training log's bytes are mostly
   histograms, and that search, not the scalars, was the read's cost. Here a record costs a few
   nanoseconds plus its CRC at memory speed, a plain event is decoded while its bytes are still in
   cache from its CRC, and the GIL is released while the scan runs. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the records are read as little-endian words: without this module, index.py frames them with numpy"
#endif

#define HEADER_SIZE 12
#define FOOTER_SIZE 4
#define POLY 0x82F63B78u /* CRC-32C (Castagnoli), bit-reversed: CRC32C_REFLECTED in format/wire.py */

enum { END = 0, HEADER = 1, DATA = 2 };

static uint32_t table[8][256]; /* slicing-by-8: table[k][b] = CRC of byte b followed by k zero bytes */

static void build_table(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t crc = b;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (POLY & (0u - (crc & 1)));
        table[0][b] = crc;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++)
            table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xFF];
}

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* unaligned-safe; the format is little-endian, as are the machines we build for */
    return v;
}

static uint32_t load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint32_t crc_by_table(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w = load64(p) ^ crc;
        crc = table[7][w & 0xFF] ^ table[6][(w >> 8) & 0xFF] ^ table[5][(w >> 16) & 0xFF] ^
              table[4][(w >> 24) & 0xFF] ^ table[3][(w >> 32) & 0xFF] ^ table[2][(w >> 40) & 0xFF] ^
              table[1][(w >> 48) & 0xFF] ^ table[0][w >> 56];
    }
    for (; n; n--, p++)
        crc = (crc >> 8) ^ table[0][(crc ^ *p) & 0xFF];
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SSE42_PATH 1
#define LANE 256 /* bytes a lane: long data is read as three interleaved lanes (the instruction's latency is 3) */

/* shift[k][b]: the CRC register that byte b at byte k of a register becomes after LANE zero bytes. The
   register's update is linear when the data is zero, so a register's shift is the XOR of its bytes'. */
static uint32_t shift[4][256];

__attribute__((target("sse4.2"))) static void build_shift(void)
{
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++) {
            uint64_t reg = b << (8 * k);
            for (int i = 0; i < LANE; i += 8)
                reg = __builtin_ia32_crc32di(reg, 0);
            shift[k][b] = (uint32_t)reg;
        }
}

static uint32_t shifted(uint32_t reg)
{
    return shift[0][reg & 0xFF] ^ shift[1][(reg >> 8) & 0xFF] ^ shift[2][(reg >> 16) & 0xFF] ^ shift[3][reg >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t crc_by_instruction(const unsigned char *p, size_t n)
{
    uint64_t crc = 0xFFFFFFFFu;
    for (; n >= 3 * LANE; n -= 3 * LANE, p += 3 * LANE) {
        uint64_t b = 0, c = 0; /* the second and third lanes, from a zero register */
        for (int i = 0; i < LANE; i += 8) {
            crc = __builtin_ia32_crc32di(crc, load64(p + i));
            b = __builtin_ia32_crc32di(b, load64(p + LANE + i));
            c = __builtin_ia32_crc32di(c, load64(p + 2 * LANE + i));
        }
        crc = shifted(shifted((uint32_t)crc) ^ (uint32_t)b) ^ (uint32_t)c; /* as if read in one lane */
    }
    for (; n >= 8; n -= 8, p += 8)
        crc = __builtin_ia32_crc32di(crc, load64(p));
    uint32_t c = (uint32_t)crc;
    for (; n; n--, p++)
        c = __builtin_ia32_crc32qi(c, *p);
    return ~c;
}
#endif

static uint32_t masked(uint32_t crc) /* TFRecord's mask: rotate right by 15, add a constant (wire.py's mask_crc) */
{
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

typedef uint32_t (*crc_fn)(const unsigned char *, size_t);

/* The varint at p (up to 10 bytes, all before end); 0 if it runs on past them. */
static int read_varint(const unsigned char **p, const unsigned char *end, uint64_t *value)
{
    uint64_t v = 0;
    for (int k = 0; k < 10 && *p + k < end; k++) {
        const unsigned char b = (*p)[k];
        v |= (uint64_t)(b & 0x7F) << (7 * k);
        if (b < 0x80) {
            *p += k + 1;
            *value = v;
            return 1;
        }
    }
    return 0;
}

/* The length-delimited field `key` at p (all of it before end): its payload is [*p, *stop). */
static int read_field(const unsigned char **p, const unsigned char *end, unsigned char key, const unsigned char **stop)
{
    uint64_t size;
    if (*p >= end || **p != key)
        return 0;
    ++*p;
    if (!read_varint(p, end, &size) || size > (uint64_t)(end - *p))
        return 0;
    *stop = *p + size;
    return 1;
}

/* Event keys: wall_time (1, fixed64), step (2, varint), summary (5, bytes); Summary.value (1, bytes);
   Value.tag (1, bytes): Event.WALL_TIME, Event.STEP, Event.SUMMARY, Summary.VALUE, Value.TAG in format/wire.py. */
enum { WALL_TIME = 0x09, STEP = 0x10, SUMMARY = 0x2A, VALUE = 0x0A, TAG = 0x0A };

/* The Event at [*p, end) if it holds an optional wall_time and step, then a summary, and nothing after:
   its wall time and step (0 when absent), *p left at the summary's first value; 0 if it is laid out
   otherwise (the decoders then read it). */
static int event_summary(const unsigned char **p, const unsigned char *end, double *wall, uint64_t *step)
{
    const unsigned char *summary_end;
    *wall = 0.0;
    *step = 0;
    if (*p < end && **p == WALL_TIME) {
        if (end - *p < 9)
            return 0;
        memcpy(wall, *p + 1, 8);
        *p += 9;
    }
    if (*p < end && **p == STEP) {
        ++*p;
        if (!read_varint(p, end, step))
            return 0;
    }
    return read_field(p, end, SUMMARY, &summary_end) && summary_end == end;
}

/* One record's layout as skim.py reads it (docs/formats.md section 1.2), at [p, end) of a buffer that starts at
   base: out[0] is -1 unless the record is an Event whose last field is a summary of one value, else the byte after
   that value's tag (the key of its kind); out[1], out[2]: where the tag's bytes start and end; out[3]: the varint
   after the kind's key (a tensor's length), -1 if there is none or it is 2**63 or more. */
static void one_value(const unsigned char *base, const unsigned char *p, const unsigned char *end, int64_t *out)
{
    const unsigned char *value_end, *tag_end;
    double wall;
    uint64_t number;
    out[0] = -1;
    if (!event_summary(&p, end, &wall, &number))
        return;
    if (!read_field(&p, end, VALUE, &value_end) || value_end != end)
        return;
    if (!read_field(&p, end, TAG, &tag_end) || tag_end >= value_end)
        return;
    out[0] = *tag_end;
    out[1] = p - base;
    out[2] = tag_end - base;
    const unsigned char *after = tag_end + 1;
    out[3] = read_varint(&after, end, &number) && number <= INT64_MAX ? (int64_t)number : -1;
}

/* Whether every record (offsets, lengths as scan gives them) lies inside buf; else a ValueError from `caller`. */
static int records_inside(const Py_buffer *buf, const int64_t *offs, const int64_t *lens, Py_ssize_t n,
                          const char *caller)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (offs[i] < 0 || lens[i] < 0 || offs[i] > buf->len - HEADER_SIZE || lens[i] > buf->len - HEADER_SIZE - offs[i]) {
            PyErr_Format(PyExc_ValueError, "%s: record %zd lies outside the buffer", caller, i);
            return 0;
        }
    }
    return 1;
}

static PyObject *layouts(PyObject *self, PyObject *args)
{
    Py_buffer buf, offsets, lengths, out;
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &buf, &offsets, &lengths, &out))
        return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = offsets.len / 8;
    if (lengths.len != offsets.len || out.len < 4 * offsets.len) {
        PyErr_SetString(PyExc_ValueError, "layouts: lengths must match offsets, and out have 4 int64 per record");
        goto done;
    }
    const unsigned char *data = buf.buf;
    const int64_t *offs = offsets.buf, *lens = lengths.buf;
    int64_t *o = out.buf;
    if (!records_inside(&buf, offs, lens, n, "layouts"))
        goto done;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *start = data + offs[i] + HEADER_SIZE;
#if defined(__GNUC__) || defined(__clang__)
        if (i + 8 < n) /* records lie far apart between histograms: ask for one ahead of its turn */
            __builtin_prefetch(data + offs[i + 8] + HEADER_SIZE);
#endif
        one_value(data, start, start + lens[i], o + 4 * i);
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&buf);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&lengths);
    PyBuffer_Release(&out);
    return result;
}

enum { SIMPLE_VALUE = 0x15 }; /* Value.SIMPLE_VALUE (2, fixed32): ValueKind.SIMPLE_VALUE.key in format/wire.py */

/* The distinct tags of a file, each given an id in order of first appearance: an open-addressing
   index over (hash, bytes), grown as tags arrive. */
typedef struct {
    const unsigned char *base;
    int64_t *start, *size;   /* per tag id: where its bytes are (from base), how many */
    uint64_t *hash;
    Py_ssize_t count, room;  /* tag ids given, and room in start/size/hash */
    Py_ssize_t *slots;       /* index: a tag id + 1 per slot, 0 when empty; a power of two of them */
    size_t mask;
} Tags;

/* realloc that keeps *p when it fails */
static int grow(void *p, size_t bytes)
{
    void *q = realloc(*(void **)p, bytes);
    if (q)
        *(void **)p = q;
    return q != NULL;
}

static int tags_grow(Tags *t)
{
    Py_ssize_t room = t->room ? 2 * t->room : 64;
    if (!grow(&t->start, room * sizeof *t->start) || !grow(&t->size, room * sizeof *t->size) ||
        !grow(&t->hash, room * sizeof *t->hash))
        return 0;
    Py_ssize_t *slots = calloc(2 * room, sizeof *slots);
    if (!slots)
        return 0;
    free(t->slots);
    t->slots = slots;
    t->mask = 2 * room - 1;
    t->room = room;
    for (Py_ssize_t id = 0; id < t->count; id++) { /* re-index what is known */
        size_t at = t->hash[id] & t->mask;
        while (t->slots[at])
            at = (at + 1) & t->mask;
        t->slots[at] = id + 1;
    }
    return 1;
}

/* The 8 bytes of a tag from byte i on, those past its end zeroed. A tag of a plain value is followed by
   the value's 5 bytes and at least the record's 4-byte CRC, so a whole word can always be loaded (loading
   it whole, not copying the tag's last bytes into a zeroed word, also spares a store-forwarding stall). */
static uint64_t tag_word(const unsigned char *p, int64_t size, int64_t i)
{
    const uint64_t word = load64(p + i);
    return size - i >= 8 ? word : word & ((UINT64_C(1) << (8 * (size - i))) - 1);
}

/* The id of the tag [p, p + size) of a plain value, given a new one if it was not seen; -1 when out of memory. */
static Py_ssize_t tag_id(Tags *t, const unsigned char *p, int64_t size)
{
    uint64_t hash = 0x9E3779B97F4A7C15u ^ (uint64_t)size; /* 8 bytes a step: a tag is hashed once a value */
    for (int64_t i = 0; i < size; i += 8) {
        hash = (hash ^ tag_word(p, size, i)) * 0xFF51AFD7ED558CCDu;
        hash ^= hash >> 32;
    }
    size_t at = hash & t->mask;
    for (Py_ssize_t id; t->room && (id = t->slots[at]); at = (at + 1) & t->mask) {
        id--;
        if (t->hash[id] != hash || t->size[id] != size)
            continue;
        const unsigned char *known = t->base + t->start[id];
        int64_t i = 0;
        while (i < size && tag_word(known, size, i) == tag_word(p, size, i))
            i += 8;
        if (i >= size)
            return id;
    }
    if (t->count == t->room) {
        if (!tags_grow(t))
            return -1;
        at = hash & t->mask;
        while (t->slots[at])
            at = (at + 1) & t->mask;
    }
    Py_ssize_t id = t->count++;
    t->start[id] = p - t->base;
    t->size[id] = size;
    t->hash[id] = hash;
    t->slots[at] = id + 1;
    return id;
}

/* One value of a plain scalar event, in file order until they are grouped by tag. */
typedef struct {
    int64_t record, step;
    double wall;
    float number;
    int32_t tag;
} Point;

/* What the scan collects of the plain scalar events: their values, their tags, and a mark a record. */
typedef struct {
    Tags tags;
    Point *points;
    Py_ssize_t count, room; /* points written, and room for them */
    unsigned char *marks;   /* one byte a record: 1 when it is a plain scalar event */
} Plain;

/* The record at [p, end) if it is a plain scalar event, with nothing but an optional wall_time and step
   and a summary of values that hold only a tag (not empty) and a simple_value, in that order: its values
   appended to `plain` and how many (0 when it is not such an event, or there is no room for its values;
   -1 when out of memory). Anything else (metadata, tensors, other fields or orders) is left to the
   decoders. A tag seen in a record that turns out not to be plain keeps its id, with no values. */
static Py_ssize_t plain_values(const unsigned char *p, const unsigned char *end, int64_t record, Plain *plain)
{
    double wall;
    uint64_t step;
    if (!event_summary(&p, end, &wall, &step))
        return 0;
    Point *const first = plain->points + plain->count, *const last = plain->points + plain->room;
    Point *point = first;
    while (p < end) {
        const unsigned char *value_end = end, *tag_end = end;
        if (point == last || !read_field(&p, end, VALUE, &value_end) || !read_field(&p, value_end, TAG, &tag_end) ||
            tag_end == p || value_end - tag_end != 5 || *tag_end != SIMPLE_VALUE)
            return 0;
        Py_ssize_t id = tag_id(&plain->tags, p, tag_end - p);
        if (id < 0)
            return -1;
        point->record = record;
        point->step = (int64_t)step; /* a negative step is a 10-byte varint: two's complement, as protobuf reads it */
        point->wall = wall;
        memcpy(&point->number, tag_end + 1, 4);
        point->tag = (int32_t)id;
        point++;
        p = value_end;
    }
    plain->count += point - first;
    return point - first;
}

/* group(points, values, counts, columns): the first `values` points (as scan left them) grouped by tag, in
   order of tag id (file order within one), into `columns`: four columns of `values` one after the other,
   record and step (int64), wall time and number (float64); counts (int64, one a tag) gets each tag's number
   of points. */
static PyObject *group(PyObject *self, PyObject *args)
{
    Py_buffer points, counts, columns;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*nw*w*", &points, &n, &counts, &columns))
        return NULL;
    PyObject *result = NULL;
    const Py_ssize_t tags = counts.len / 8;
    int64_t *next = calloc(tags + 1, sizeof *next); /* per tag: the row its next point goes to */
    const Point *point = points.buf;
    if (!next) {
        PyErr_NoMemory();
        goto done;
    }
    if (n < 0 || counts.len % 8 || points.len / (Py_ssize_t)sizeof(Point) < n || columns.len != 32 * n) {
        PyErr_SetString(PyExc_ValueError, "group: points must hold the values, counts be int64, and columns have "
                                          "32 bytes a value");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (point[i].tag < 0 || point[i].tag >= tags) {
            PyErr_Format(PyExc_ValueError, "group: point %zd has tag %d of %zd", i, (int)point[i].tag, tags);
            goto done;
        }
        next[point[i].tag + 1]++;
    }
    memcpy(counts.buf, next + 1, tags * sizeof *next);
    for (Py_ssize_t id = 0; id < tags; id++)
        next[id + 1] += next[id];
    int64_t *record = columns.buf, *step = record + n;
    double *wall = (double *)(step + n), *number = wall + n;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t row = next[point[i].tag]++;
        record[row] = point[i].record;
        step[row] = point[i].step;
        wall[row] = point[i].wall;
        number[row] = point[i].number;
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    free(next);
    PyBuffer_Release(&points);
    PyBuffer_Release(&counts);
    PyBuffer_Release(&columns);
    return result;
}

/* ((start, size) of each tag, in id order): where its bytes are in buf. */
static PyObject *tag_list(const Tags *tags)
{
    PyObject *spans = PyList_New(tags->count);
    for (Py_ssize_t id = 0; spans && id < tags->count; id++) {
        PyObject *span = Py_BuildValue("(LL)", (long long)tags->start[id], (long long)tags->size[id]);
        if (!span) {
            Py_CLEAR(spans);
            break;
        }
        PyList_SET_ITEM(spans, id, span);
    }
    return spans;
}

static void tags_free(Tags *tags)
{
    free(tags->start);
    free(tags->size);
    free(tags->hash);
    free(tags->slots);
}

static PyObject *scan(PyObject *self, PyObject *args)
{
    Py_buffer buf, offsets, lengths, marks = {.obj = NULL}, points = {.obj = NULL};
    int hardware;
    if (!PyArg_ParseTuple(args, "y*w*w*p|w*w*", &buf, &offsets, &lengths, &hardware, &marks, &points))
        return NULL;
    PyObject *result = NULL;
    Plain plain = {.tags = {.base = buf.buf}};
    const Py_ssize_t room = buf.len / (HEADER_SIZE + FOOTER_SIZE) + 1;
    if (offsets.len < room * 8 || lengths.len < room * 8) {
        PyErr_Format(PyExc_ValueError, "scan: offsets and lengths need room for %zd int64 each", room);
        goto done;
    }
    if (marks.obj) {
        if (!points.obj || marks.len < room || points.len % sizeof(Point)) {
            PyErr_Format(PyExc_ValueError, "scan: marks need room for %zd bytes, and points %zd bytes a value",
                         room, sizeof(Point));
            goto done;
        }
        plain.marks = marks.buf;
        plain.points = points.buf;
        plain.room = points.len / sizeof(Point);
    }
    crc_fn crc = crc_by_table;
#ifdef HAVE_SSE42_PATH
    if (hardware)
        crc = crc_by_instruction;
#else
    if (hardware) {
        PyErr_SetString(PyExc_ValueError, "scan: this build has no CRC instruction (HARDWARE is False)");
        goto done;
    }
#endif
    const unsigned char *data = buf.buf;
    int64_t *offs = offsets.buf, *lens = lengths.buf;
    const uint64_t end = (uint64_t)buf.len;
    uint64_t pos = 0;
    Py_ssize_t count = 0, found = 0;
    int status = END;
    Py_BEGIN_ALLOW_THREADS
    while (pos < end) {
        const unsigned char *head = data + pos;
        if (end - pos < HEADER_SIZE || masked(crc(head, 8)) != load32(head + 8)) {
            status = HEADER;
            break;
        }
        const uint64_t length = load64(head);
        if (end - pos - HEADER_SIZE < FOOTER_SIZE || end - pos - HEADER_SIZE - FOOTER_SIZE < length) {
            status = HEADER; /* torn: more bytes announced than are left */
            break;
        }
        if (masked(crc(head + HEADER_SIZE, length)) != load32(head + HEADER_SIZE + length)) {
            status = DATA;
            break;
        }
        if (plain.marks) { /* decoded now, while the record's bytes are in cache from its CRC */
            found = plain_values(head + HEADER_SIZE, head + HEADER_SIZE + length, count, &plain);
            if (found < 0)
                break;
            plain.marks[count] = found > 0;
        }
        offs[count] = (int64_t)pos;
        lens[count] = (int64_t)length;
        count++;
        pos += HEADER_SIZE + length + FOOTER_SIZE;
    }
    Py_END_ALLOW_THREADS
    if (found < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (!plain.marks) {
        result = Py_BuildValue("nin", count, status, (Py_ssize_t)pos);
        goto done;
    }
    PyObject *spans = tag_list(&plain.tags);
    if (spans)
        result = Py_BuildValue("ninnN", count, status, (Py_ssize_t)pos, plain.count, spans); /* N: taken over */
done:
    tags_free(&plain.tags);
    PyBuffer_Release(&buf);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&lengths);
    if (marks.obj)
        PyBuffer_Release(&marks);
    if (points.obj)
        PyBuffer_Release(&points);
    return result;
}

/* firsts(buf, starts, sizes, out): out[i] (a byte) is 1 when the tag of sizes[i] bytes at starts[i] of buf is met
   there for the first time among the tags given, in their order, else 0. Every tag must be followed by at least
   8 bytes of buf (a whole word is loaded at its end): skim.py passes the zero-padded file bytes, or a copy with
   zeros after the last tag when one lies too close to its record's end to stay inside the file's bytes. */
static PyObject *firsts(PyObject *self, PyObject *args)
{
    Py_buffer buf, starts, sizes, out;
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &buf, &starts, &sizes, &out))
        return NULL;
    PyObject *result = NULL;
    Tags tags = {0};
    tags.base = buf.buf;
    const Py_ssize_t n = starts.len / 8;
    const int64_t *st = starts.buf, *sz = sizes.buf;
    unsigned char *o = out.buf;
    if (sizes.len != starts.len || out.len < n) {
        PyErr_SetString(PyExc_ValueError, "firsts: sizes must match starts, and out have a byte per tag");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (st[i] < 0 || sz[i] < 0 || sz[i] > buf.len - 8 || st[i] > buf.len - 8 - sz[i]) {
            PyErr_Format(PyExc_ValueError, "firsts: tag %zd lies too close to the end of the buffer", i);
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_ssize_t known = tags.count;
        if (tag_id(&tags, tags.base + st[i], sz[i]) < 0) {
            PyErr_NoMemory();
            goto done;
        }
        o[i] = tags.count > known;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    tags_free(&tags);
    PyBuffer_Release(&buf);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&sizes);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(buf, offsets, lengths, hardware[, marks, points]) -> (count, status, stop[, values, tags])"},
    {"group", group, METH_VARARGS, "group(points, values, counts, columns): the points grouped by tag"},
    {"layouts", layouts, METH_VARARGS, "layouts(buf, offsets, lengths, out): the one-value layout of each record"},
    {"firsts", firsts, METH_VARARGS, "firsts(buf, starts, sizes, out): which tags are met for the first time"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_frames", NULL, -1, methods};

PyMODINIT_FUNC PyInit__frames(void)
{
    build_table();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    int hardware = 0;
#ifdef HAVE_SSE42_PATH
    __builtin_cpu_init();
    hardware = __builtin_cpu_supports("sse4.2");
    if (hardware)
        build_shift();
#endif
    if (PyModule_AddIntConstant(m, "END", END) || PyModule_AddIntConstant(m, "HEADER", HEADER) ||
        PyModule_AddIntConstant(m, "DATA", DATA) || PyModule_AddObjectRef(m, "HARDWARE", hardware ? Py_True : Py_False)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
