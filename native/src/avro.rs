//! Avro binary decoding of one record body against a writer schema (no resolution).
//!
//! Returns `None` on anything unexpected: the caller then takes the Python path, which
//! raises the precise error. The schema is never recursive (the planner refuses those), so
//! recursion depth is bounded by the schema.

use std::sync::Arc;

use serde::Deserialize;

/// Maps with more entries than this take the Python path.
const MAX_MAP_ENTRIES: usize = 256;

/// A decoded value, shaped like fastavro's Python values.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `long` with `logicalType: timestamp-millis` (only ever the top-level `eventTime`).
    Ts(i64),
    Arr(Vec<V>),
    /// A record or a map, entries in order.
    Obj(Vec<(Arc<str>, V)>),
}

/// The writer schema, as the Python planner writes it.
#[derive(Debug, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum T {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    String,
    TimestampMillis,
    Enum { symbols: Vec<String> },
    Array { items: Box<T> },
    Map { values: Box<T> },
    Union { branches: Vec<T> },
    Record { fields: Vec<Field> },
}

#[derive(Debug, Deserialize)]
pub struct Field {
    pub name: Arc<str>,
    #[serde(rename = "type")]
    pub ty: T,
}

/// A cursor over the body bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.remaining() {
            return None;
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Some(out)
    }

    /// A zig-zag varint of at most 64 bits.
    pub fn long(&mut self) -> Option<i64> {
        let mut acc: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return None;
            }
            acc |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
        Some(((acc >> 1) as i64) ^ -((acc & 1) as i64))
    }

    fn length(&mut self) -> Option<usize> {
        let n = self.long()?;
        usize::try_from(n).ok().filter(|&n| n <= self.remaining())
    }

    fn string(&mut self) -> Option<String> {
        let n = self.length()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    }

    /// The item count of the next array/map block (0 ends the value).
    fn block(&mut self) -> Option<usize> {
        let n = self.long()?;
        if n < 0 {
            self.long()?; // the block's size in bytes
        }
        let count = usize::try_from(n.unsigned_abs()).ok()?;
        // every item takes at least one byte (the planner refuses zero-width item types)
        (count <= self.remaining()).then_some(count)
    }

    pub fn read(&mut self, ty: &T) -> Option<V> {
        Some(match ty {
            T::Null => V::Null,
            T::Boolean => match self.byte()? {
                0 => V::Bool(false),
                1 => V::Bool(true),
                _ => return None,
            },
            T::Int => {
                let n = self.long()?;
                i32::try_from(n).ok()?;
                V::Int(n)
            }
            T::Long => V::Int(self.long()?),
            T::TimestampMillis => V::Ts(self.long()?),
            T::Float => {
                let b = self.take(4)?;
                V::Float(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            }
            T::Double => {
                let b = self.take(8)?;
                V::Float(f64::from_le_bytes(b.try_into().ok()?))
            }
            T::String => V::Str(self.string()?),
            T::Enum { symbols } => {
                let i = usize::try_from(self.long()?).ok()?;
                V::Str(symbols.get(i)?.clone())
            }
            T::Union { branches } => {
                let i = usize::try_from(self.long()?).ok()?;
                self.read(branches.get(i)?)?
            }
            T::Array { items } => {
                let mut out = Vec::new();
                loop {
                    let count = self.block()?;
                    if count == 0 {
                        break;
                    }
                    out.reserve(count);
                    for _ in 0..count {
                        out.push(self.read(items)?);
                    }
                }
                V::Arr(out)
            }
            T::Map { values } => {
                let mut out: Vec<(Arc<str>, V)> = Vec::new();
                loop {
                    let count = self.block()?;
                    if count == 0 {
                        break;
                    }
                    if out.len() + count > MAX_MAP_ENTRIES {
                        return None; // the key look-up below is linear: big maps go to Python
                    }
                    for _ in 0..count {
                        let key: Arc<str> = Arc::from(self.string()?);
                        let value = self.read(values)?;
                        // a repeated key replaces the earlier value in place, as a dict does
                        match out.iter_mut().find(|(k, _)| *k == key) {
                            Some(slot) => slot.1 = value,
                            None => out.push((key, value)),
                        }
                    }
                }
                V::Obj(out)
            }
            T::Record { fields } => {
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    out.push((f.name.clone(), self.read(&f.ty)?));
                }
                V::Obj(out)
            }
        })
    }
}
