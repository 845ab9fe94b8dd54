/*
 * Bulk loading of an Arrow C stream into one doltlite branch, with no Python object per value.
 *
 * Python's sqlite3 module needs a Python object for every bound value; making them (DuckDB)
 * and binding them costs about as much as SQLite's own work. Here each Arrow value is bound
 * straight from its buffer. Called through ctypes, which releases the GIL for the call.
 *
 * The SQLite functions come from the doltlite library the process has already loaded (its
 * path is passed in), never from a stock SQLite. The connection is the caller's to choose
 * (`file.db@branch`); rows are committed every `rows_per_transaction` rows. The first row the
 * database refuses stops the load: that transaction is rolled back and the caller decides
 * (the executor resets the branch and takes the careful path, which quarantines such rows).
 *
 * Arrow types bound: int8/16/32/64, float32/64, boolean, utf8 and large utf8, binary and large
 * binary, null. Any other type, or a dictionary-encoded column, stops before writing anything
 * (ARROW_LOAD_UNSUPPORTED).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The Arrow C data and stream interfaces (https://arrow.apache.org/docs/format/CDataInterface.html). */
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};

enum {
    ARROW_LOAD_OK = 0,
    ARROW_LOAD_REFUSED = 1,     /* a row was refused by a constraint; its transaction undone */
    ARROW_LOAD_FAILED = 2,      /* any other error; the current transaction undone */
    ARROW_LOAD_UNSUPPORTED = 3, /* a column type this loader does not bind; nothing written */
    ARROW_LOAD_STOPPED = 4,     /* `progress` asked to stop (Ctrl-C); the current transaction undone */
};

#define SQLITE_OK 0
#define SQLITE_ROW 100
#define SQLITE_DONE 101
#define SQLITE_OPEN_READWRITE 0x00000002
#define SQLITE_CONSTRAINT 19
#define SQLITE_MISMATCH 20
#define SQLITE_TOOBIG 18
#define SQLITE_RANGE 25
#define SQLITE_STATIC ((void (*)(void *))0)

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

/* The SQLite calls used, looked up in the doltlite library by name. */
typedef struct {
    int (*open_v2)(const char *, sqlite3 **, int, const char *);
    int (*close)(sqlite3 *);
    int (*busy_timeout)(sqlite3 *, int);
    int (*exec)(sqlite3 *, const char *, void *, void *, char **);
    int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*bind_int64)(sqlite3_stmt *, int, long long);
    int (*bind_double)(sqlite3_stmt *, int, double);
    int (*bind_text)(sqlite3_stmt *, int, const char *, int, void (*)(void *));
    int (*bind_blob)(sqlite3_stmt *, int, const void *, int, void (*)(void *));
    int (*bind_null)(sqlite3_stmt *, int);
    int (*clear_bindings)(sqlite3_stmt *);
    int (*step)(sqlite3_stmt *);
    int (*reset)(sqlite3_stmt *);
    int (*finalize)(sqlite3_stmt *);
    const char *(*errmsg)(sqlite3 *);
    int (*extended_errcode)(sqlite3 *);
} sqlite_api;

/* Returns the library's handle (dlclose it when done) or NULL with a message. */
static void *load_api(const char *library, sqlite_api *api, char *err, int errlen) {
    void *handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
    if (!handle) {
        snprintf(err, errlen, "the doltlite library %s is not loaded in this process", library);
        return NULL;
    }
#define FIND(field, symbol)                                                          \
    if (!(*(void **)(&api->field) = dlsym(handle, symbol))) {                        \
        snprintf(err, errlen, "the doltlite library has no %s", symbol);            \
        dlclose(handle);                                                             \
        return NULL;                                                                 \
    }
    FIND(open_v2, "sqlite3_open_v2")
    FIND(close, "sqlite3_close")
    FIND(busy_timeout, "sqlite3_busy_timeout")
    FIND(exec, "sqlite3_exec")
    FIND(prepare_v2, "sqlite3_prepare_v2")
    FIND(bind_int64, "sqlite3_bind_int64")
    FIND(bind_double, "sqlite3_bind_double")
    FIND(bind_text, "sqlite3_bind_text")
    FIND(bind_blob, "sqlite3_bind_blob")
    FIND(bind_null, "sqlite3_bind_null")
    FIND(clear_bindings, "sqlite3_clear_bindings")
    FIND(step, "sqlite3_step")
    FIND(reset, "sqlite3_reset")
    FIND(finalize, "sqlite3_finalize")
    FIND(errmsg, "sqlite3_errmsg")
    FIND(extended_errcode, "sqlite3_extended_errcode")
#undef FIND
    return handle;
}

static int supported(const char *format) {
    static const char *known[] = {"c", "s", "i", "l", "f", "g", "b", "u", "U", "z", "Z", "n"};
    for (size_t k = 0; k < sizeof known / sizeof *known; k++)
        if (strcmp(format, known[k]) == 0) return 1;
    return 0;
}

static int is_valid(const struct ArrowArray *column, int64_t row) {
    const uint8_t *bits = (const uint8_t *)column->buffers[0];
    if (column->null_count == 0 || bits == NULL) return 1;
    int64_t bit = row + column->offset;
    return (bits[bit >> 3] >> (bit & 7)) & 1;
}

/* Bind the value of `column` at `row` to parameter `p`; returns the SQLite result code. */
static int bind_value(const sqlite_api *api, sqlite3_stmt *statement, int p, char format,
                      const struct ArrowArray *column, int64_t row) {
    if (format == 'n' || !is_valid(column, row)) return api->bind_null(statement, p);
    int64_t i = row + column->offset;
    const void *values = column->buffers[1];
    switch (format) {
    case 'c': return api->bind_int64(statement, p, ((const int8_t *)values)[i]);
    case 's': return api->bind_int64(statement, p, ((const int16_t *)values)[i]);
    case 'i': return api->bind_int64(statement, p, ((const int32_t *)values)[i]);
    case 'l': return api->bind_int64(statement, p, ((const int64_t *)values)[i]);
    case 'f': return api->bind_double(statement, p, ((const float *)values)[i]);
    case 'g': return api->bind_double(statement, p, ((const double *)values)[i]);
    case 'b': return api->bind_int64(statement, p, (((const uint8_t *)values)[i >> 3] >> (i & 7)) & 1);
    case 'u':
    case 'z': {
        const int32_t *offsets = (const int32_t *)values;
        const char *data = (const char *)column->buffers[2] + offsets[i];
        int size = offsets[i + 1] - offsets[i];
        return format == 'u' ? api->bind_text(statement, p, data, size, SQLITE_STATIC)
                             : api->bind_blob(statement, p, data, size, SQLITE_STATIC);
    }
    case 'U':
    case 'Z': {
        const int64_t *offsets = (const int64_t *)values;
        const char *data = (const char *)column->buffers[2] + offsets[i];
        int64_t size = offsets[i + 1] - offsets[i];
        if (size > 0x7fffffff) return SQLITE_TOOBIG;
        return format == 'U' ? api->bind_text(statement, p, data, (int)size, SQLITE_STATIC)
                             : api->bind_blob(statement, p, data, (int)size, SQLITE_STATIC);
    }
    }
    return SQLITE_RANGE;
}

static int is_refusal(int code) {
    int primary = code & 0xff;
    return primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_TOOBIG;
}

/*
 * Insert every row of `stream`: `group_sql` inserts `group_rows` rows at a time (row r's
 * column c is parameter r * columns + c + 1, so a statement may leave a column unused, such
 * as a leading record number), `insert_sql` one row (the rest of each batch). Commits every
 * `rows_per_transaction` rows, rounded up to whole statements. `progress` (may be NULL)
 * receives the rows written so far about every `progress_every` rows and at the end; a
 * nonzero answer stops the load between two statements (ARROW_LOAD_STOPPED).
 * `*written` counts the rows committed.
 */
int importbot_arrow_load(const char *library, const char *target, const char *insert_sql,
                         const char *group_sql, int group_rows, struct ArrowArrayStream *stream,
                         long long rows_per_transaction, long long progress_every,
                         int (*progress)(long long), long long *written, char *err, int errlen) {
    sqlite_api api;
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL, *group = NULL;
    struct ArrowSchema schema;
    char formats[2000];
    int result = ARROW_LOAD_FAILED, in_transaction = 0;
    long long in_this_transaction = 0, reported = 0;

    memset(&schema, 0, sizeof schema);
    *written = 0;
    err[0] = '\0';
    void *library_handle = load_api(library, &api, err, errlen);
    if (!library_handle) return ARROW_LOAD_FAILED;
    if (stream->get_schema(stream, &schema) != 0) {
        snprintf(err, errlen, "reading the rows failed: %s", stream->get_last_error(stream));
        dlclose(library_handle);
        return ARROW_LOAD_FAILED;
    }
    int columns = (int)schema.n_children;
    if (columns > (int)sizeof formats || columns < 1 || group_rows < 1) {
        snprintf(err, errlen, "%d columns cannot be loaded natively", columns);
        result = ARROW_LOAD_UNSUPPORTED;
        goto done;
    }
    for (int c = 0; c < columns; c++) {
        /* a dictionary-encoded column's values are indexes into another array */
        if (!supported(schema.children[c]->format) || schema.children[c]->dictionary) {
            snprintf(err, errlen, "column %d has Arrow type %s", c, schema.children[c]->format);
            result = ARROW_LOAD_UNSUPPORTED;
            goto done;
        }
        formats[c] = schema.children[c]->format[0];
    }
    if (api.open_v2(target, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "opening %s: %s", target, db ? api.errmsg(db) : "out of memory");
        goto done;
    }
    api.busy_timeout(db, 60000);
    if (api.exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
        api.prepare_v2(db, insert_sql, -1, &statement, NULL) != SQLITE_OK ||
        api.prepare_v2(db, group_sql, -1, &group, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", api.errmsg(db));
        goto done;
    }
    for (;;) {
        struct ArrowArray batch;
        memset(&batch, 0, sizeof batch);
        if (stream->get_next(stream, &batch) != 0) {
            snprintf(err, errlen, "reading the rows failed: %s", stream->get_last_error(stream));
            goto done;
        }
        if (batch.release == NULL) break; /* the end of the stream */
        for (int64_t row = 0; row < batch.length;) {
            if (!in_transaction) {
                if (api.exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
                    snprintf(err, errlen, "%s", api.errmsg(db));
                    batch.release(&batch);
                    goto done;
                }
                in_transaction = 1;
            }
            int rows = batch.length - row >= group_rows ? group_rows : 1;
            sqlite3_stmt *insert = rows == 1 ? statement : group;
            int code = SQLITE_OK;
            /* a child's index is the batch's own offset, plus the row, plus its offset */
            for (int r = 0; r < rows && code == SQLITE_OK; r++)
                for (int c = 0; c < columns && code == SQLITE_OK; c++)
                    code = bind_value(&api, insert, r * columns + c + 1, formats[c],
                                      batch.children[c], batch.offset + row + r);
            if (code == SQLITE_OK) code = api.step(insert);
            if (code != SQLITE_DONE) {
                int detail = code == SQLITE_ROW ? code : api.extended_errcode(db);
                snprintf(err, errlen, "%s", api.errmsg(db));
                api.reset(insert);
                batch.release(&batch);
                result = is_refusal(detail) ? ARROW_LOAD_REFUSED : ARROW_LOAD_FAILED;
                goto done;
            }
            api.reset(insert);
            row += rows;
            in_this_transaction += rows;
            if (in_this_transaction >= rows_per_transaction) {
                api.clear_bindings(statement);
                api.clear_bindings(group);
                if (api.exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
                    snprintf(err, errlen, "%s", api.errmsg(db));
                    batch.release(&batch);
                    goto done;
                }
                *written += in_this_transaction;
                in_transaction = 0;
                in_this_transaction = 0;
            }
            long long so_far = *written + in_this_transaction;
            if (progress && progress_every > 0 && so_far / progress_every > reported / progress_every) {
                reported = so_far;
                if (progress(so_far) != 0) {
                    snprintf(err, errlen, "stopped");
                    batch.release(&batch);
                    result = ARROW_LOAD_STOPPED;
                    goto done;
                }
            }
        }
        api.clear_bindings(statement); /* no binding may point into a released batch */
        api.clear_bindings(group);
        batch.release(&batch);
    }
    if (in_transaction && api.exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", api.errmsg(db));
        goto done;
    }
    *written += in_this_transaction;
    in_transaction = 0;
    in_this_transaction = 0;
    if (progress && progress_every > 0 && *written != reported) progress(*written);
    result = ARROW_LOAD_OK;

done:
    if (statement) api.finalize(statement);
    if (group) api.finalize(group);
    if (in_transaction) api.exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (db) api.close(db);
    if (schema.release) schema.release(&schema);
    dlclose(library_handle);
    return result;
}
