/* One pass over float32 or float64 values, adding each finite value to its TensorFlow bucket.

       nonfinite = _buckets.count(values, table, edges, counts)

   The optional C half of buckets.py (which builds the tables and falls back to numpy without it):
   - values: a C-contiguous buffer of native float32 ("f") or float64 ("d");
   - table:  uint16 code of each cell, a cell being the top 20 bits of a float32 (see buckets.py):
             a bucket number, NONFINITE (= len(counts)) or STRADDLE (= len(counts) + 1);
             float64 input takes the "rounded" table, valid for every double that rounds into the cell;
   - edges:  the bucket edges as float64, ascending; len(counts) == len(edges) + 1;
   - counts: writable int64 buffer, added to (not cleared), so callers may count in chunks.
   Returns how many values were NaN or +-inf; those are not counted.

   A value in a STRADDLE cell is placed by binary search over the edges with numpy's
   searchsorted(side="right") rule: a value equal to an edge goes right, and -0.0 == 0.0.
   The GIL is released during the loop; the buffers stay pinned by their Py_buffer views. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define CELL_SHIFT 12 /* float32 bits >> 12 = a cell of 4,096 neighbouring floats */
#define N_CELLS (1 << (32 - CELL_SHIFT))

typedef struct {
    const uint16_t *table;
    const double *edges;
    Py_ssize_t n_edges;
    int64_t *counts;
    int64_t nonfinite;
} Counter;

/* Bucket of v = number of edges <= v; NaN and +-inf are only counted as non-finite. */
static void place_exactly(Counter *c, double v)
{
    if (!isfinite(v)) {
        c->nonfinite++;
        return;
    }
    Py_ssize_t lo = 0, hi = c->n_edges;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (c->edges[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    c->counts[lo]++;
}

/* Table code of a float32 from its bit pattern (memcpy: the portable way to read the bits). */
static inline uint16_t code_of(const Counter *c, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return c->table[bits >> CELL_SHIFT];
}

static inline void add(Counter *c, uint16_t code, double v)
{
    uint16_t n_buckets = (uint16_t)(c->n_edges + 1);
    if (code < n_buckets)
        c->counts[code]++;
    else if (code == n_buckets)
        c->nonfinite++;
    else
        place_exactly(c, v);
}

static void count_float32(Counter *c, const float *x, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        add(c, code_of(c, x[i]), x[i]);
}

static void count_float64(Counter *c, const double *x, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = x[i];
        if (fabs(v) <= FLT_MAX) /* else NaN, inf or beyond float32 (where a cast is undefined): exact */
            add(c, code_of(c, (float)v), v);
        else
            place_exactly(c, v);
    }
}

/* A C-contiguous view of obj whose items have one of the (native, unprefixed, as numpy reports
   them) struct formats in `formats`: "f" float32, "d" float64, "H" uint16, "l" and "q" int64. */
static int get_array(PyObject *obj, Py_buffer *view, int flags, const char *formats)
{
    if (PyObject_GetBuffer(obj, view, flags | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return 0;
    const char *f = view->format;
    if (f && f[0] && !f[1] && strchr(formats, f[0]) && view->itemsize == (f[0] == 'H' ? 2 : f[0] == 'f' ? 4 : 8))
        return 1;
    PyBuffer_Release(view); /* sets view->obj to NULL, so `count` does not release it again */
    PyErr_SetString(PyExc_TypeError, "count(values, table, edges, counts): expected contiguous float32 or "
                    "float64 values, uint16 table, float64 edges, writable int64 counts");
    return 0;
}

static PyObject *count(PyObject *module, PyObject *args)
{
    PyObject *objs[4];
    Py_buffer views[4] = {{0}}; /* values, table, edges, counts */
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOO:count", &objs[0], &objs[1], &objs[2], &objs[3]))
        return NULL;
    if (!get_array(objs[0], &views[0], 0, "fd") || !get_array(objs[1], &views[1], 0, "H")
        || !get_array(objs[2], &views[2], 0, "d") || !get_array(objs[3], &views[3], PyBUF_WRITABLE, "lq"))
        goto done;
    Py_ssize_t n_edges = views[2].len / 8;
    if (views[1].len != 2 * (Py_ssize_t)N_CELLS || n_edges + 3 > 65536 || views[3].len != 8 * (n_edges + 1)) {
        /* The table must cover every cell, and its codes (up to n_edges + 2) must fit in uint16. */
        PyErr_SetString(PyExc_ValueError, "count: the table needs 2**20 cells and counts len(edges) + 1 items");
        goto done;
    }
    Counter c = {views[1].buf, views[2].buf, n_edges, views[3].buf, 0};
    Py_BEGIN_ALLOW_THREADS
    if (views[0].itemsize == 4)
        count_float32(&c, views[0].buf, views[0].len / 4);
    else
        count_float64(&c, views[0].buf, views[0].len / 8);
    Py_END_ALLOW_THREADS
    result = PyLong_FromLongLong(c.nonfinite);
done:
    for (int i = 0; i < 4; i++)
        if (views[i].obj)
            PyBuffer_Release(&views[i]);
    return result;
}

static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS, "count(values, table, edges, counts) -> number of NaN/inf values"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_buckets", "C loop of tbwriter.writing.summaries.buckets",
                                    -1, methods};

PyMODINIT_FUNC PyInit__buckets(void) { return PyModule_Create(&module); }
