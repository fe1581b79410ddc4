/*
 * json.h - a strict RFC 8259 JSON tokenizer over a caller's buffer, in the
 * manner of jsmn: tokens are offsets into the text, nothing is allocated,
 * and the token array belongs to the caller.
 *
 * Strict: one value with optional surrounding whitespace (unless
 * JSON_PREFIX), no trailing commas, no leading zeros ("01"), no bare
 * control characters in strings, only the escapes of RFC 8259 section 7,
 * \u surrogates paired (a lone surrogate is invalid), strings valid UTF-8,
 * nesting at most JSON_MAX_DEPTH deep.
 */
#ifndef DFW_JSON_H
#define DFW_JSON_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define JSON_MAX_DEPTH 128

/*
 * The most tokens docker-fw takes from one text (48 MiB of struct
 * json_tok): a count pass with this as ntoks stops there with
 * JSON_ENOMEM, before anything is allocated. A list of containers takes
 * about 150 tokens each; a text of small tokens ("[0,0,0,...") would
 * otherwise cost 12 times its size.
 */
#define JSON_MAX_TOKENS (2u << 20)

enum json_type {
	JSON_OBJECT = 1,
	JSON_ARRAY,
	JSON_STRING, /* start/end exclude the quotes; text still escaped */
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

struct json_tok {
	uint32_t type;	/* enum json_type */
	uint32_t start; /* offset of the first byte */
	uint32_t end;	/* offset one past the last byte */
	uint32_t size;	/* object: members; array: elements; else 0 */
	uint32_t next;	/* index of the first token after this value */
	int32_t parent; /* index of the enclosing token, -1 at root */
};
/*
 * Token order is document order. An object's members are key/value token
 * pairs: the key (a JSON_STRING) at i, its value at i + 1, the next key at
 * toks[i + 1].next. The first child of a container is at its index + 1.
 */

enum {
	JSON_EPART = -1,   /* need more: the text is a prefix of a value */
	JSON_EINVAL = -2,  /* invalid JSON (the offset goes to *pos) */
	JSON_ENOMEM = -3,  /* more tokens needed than ntoks */
	JSON_EDEPTH = -4,  /* nested deeper than JSON_MAX_DEPTH */
	JSON_ETOOBIG = -5, /* text longer than UINT32_MAX - 1 bytes */
};

#define JSON_PREFIX 1 /* stop after the first value; the rest is not ours */

/*
 * Tokenizes s[0..len). With toks NULL only counts the tokens, up to ntoks
 * when it is not 0 (JSON_ENOMEM past it). Returns the number of tokens,
 * or a JSON_E* code. *pos
 * (when pos is not NULL) is always set: just past the value (past its
 * trailing whitespace unless JSON_PREFIX), the offset of the error for
 * JSON_EINVAL/JSON_EDEPTH, where tokens ran out for JSON_ENOMEM, len for
 * JSON_EPART, 0 for JSON_ETOOBIG. Without JSON_PREFIX a complete
 * top-level number at the very end is accepted; with it, a number running
 * to the end of s is JSON_EPART (more digits may follow).
 */
int json_parse(const char *s, size_t len, struct json_tok *toks, unsigned ntoks,
	       unsigned flags, size_t *pos);

/* A short English name of a JSON_E* code ("invalid JSON", ...). */
const char *json_strerror(int code);

/*
 * The value of member KEY of the object at toks[obj], or -1 when toks[obj]
 * is not an object or has no such member. Keys are compared after
 * unescaping. s and toks are those given to json_parse.
 */
int json_get(const char *s, const struct json_tok *toks, int obj,
	     const char *key);

/*
 * json_get along a path of keys ended by NULL:
 * json_path(s, t, 0, "NetworkSettings", "Networks", NULL). -1 if absent.
 */
int json_path(const char *s, const struct json_tok *toks, int obj, ...)
	__attribute__((sentinel));

/* 1 when the string token t decodes to exactly str, else 0. */
int json_streq(const char *s, const struct json_tok *t, const char *str);

/*
 * Decodes the string token t (escapes, \u surrogate pairs to UTF-8) into
 * out[0..outsz), NUL-terminated. Returns the decoded length, or -1 with
 * errno EINVAL (not a string token) or ERANGE (out too small; out is then
 * "" when outsz > 0). A decoded NUL (\u0000) is kept; callers that need C
 * strings check strlen(out) == returned length.
 */
int json_string(const char *s, const struct json_tok *t, char *out,
		size_t outsz);

/* The integer value of number token t into *v: 0, or -1 (EINVAL: not an
 * integer number token; ERANGE: outside int64_t). */
int json_int(const char *s, const struct json_tok *t, int64_t *v);

/* 1 for true, 0 for false, -1 when t is not a boolean. */
int json_bool(const struct json_tok *t);

/*
 * Appends str[0..n) as a JSON string, with its quotes, to b: ", \ and the
 * control characters escaped (\n \t \r \b \f, else \u00XX); other bytes
 * copied. Returns 0 or -1 (ENOMEM).
 */
int json_escape(struct buf *b, const char *str, size_t n);

#endif
