//! Reading the spreadsheets a company arrives with, row by row: CSV in UTF-8 (with or without a
//! byte-order mark) or GB18030/GBK (what Chinese Excel writes), and XLSX (any sheet). Memory
//! stays flat however long the file is: CSV is decoded as it streams, and an XLSX sheet is read
//! cell by cell on its own thread and handed over one row at a time.
//!
//! This crate knows nothing about salesos's records: it yields the header row and then each
//! record as text, with its row number as the person sees it in their spreadsheet program.

use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::Path;
use std::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is not valid CSV: {0}")]
    Csv(String),
    #[error("the file is not a readable XLSX workbook: {0}")]
    Xlsx(String),
    #[error("the workbook has no sheet named {0}")]
    NoSuchSheet(String),
    #[error("the file has no header row")]
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// XLSX files are zip archives (`PK\3\4`); anything else is read as CSV.
    pub fn sniff(first_bytes: &[u8]) -> Format {
        if first_bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// One data row: its number in the spreadsheet (the header is row 1) and its cells as text
/// (held in one buffer, as the CSV reader hands them over: a million rows would otherwise cost a
/// million allocations per column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub row: u64,
    cells: csv::StringRecord,
}

impl Record {
    pub fn new<S: AsRef<str>>(row: u64, cells: &[S]) -> Record {
        Record {
            row,
            cells: cells.iter().map(AsRef::as_ref).collect(),
        }
    }

    /// The cell at `index`, trimmed; empty when the row is shorter.
    pub fn get(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", str::trim)
    }

    /// Every cell as it was read.
    pub fn cells(&self) -> Vec<String> {
        self.cells.iter().map(str::to_string).collect()
    }

    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

enum Rows {
    Csv(Box<csv::StringRecordsIntoIter<Box<dyn Read + Send>>>),
    Xlsx(mpsc::Receiver<Result<Record, ReadError>>),
}

/// The header and a stream of records. Blank rows are skipped.
pub struct Table {
    pub headers: Vec<String>,
    /// `utf-8`, `gb18030` or `xlsx`.
    pub encoding: &'static str,
    rows: Rows,
    next_row: u64,
}

impl Table {
    /// Opens a file, telling CSV from XLSX by its first bytes.
    pub fn open_path(path: &Path, sheet: Option<&str>) -> Result<Table, ReadError> {
        let mut file = std::fs::File::open(path)?;
        let mut magic = [0u8; 4];
        let n = file.read(&mut magic)?;
        file.rewind()?;
        match Format::sniff(&magic[..n]) {
            Format::Csv => Table::csv(Box::new(file)),
            Format::Xlsx => Table::xlsx(BufReader::new(file), sheet),
        }
    }

    /// Reads an uploaded file held in memory.
    pub fn from_bytes(bytes: Vec<u8>, sheet: Option<&str>) -> Result<Table, ReadError> {
        match Format::sniff(&bytes) {
            Format::Csv => Table::csv(Box::new(Cursor::new(bytes))),
            Format::Xlsx => Table::xlsx(Cursor::new(bytes), sheet),
        }
    }

    /// CSV: the encoding is decided from a byte-order mark, else from the first 64 KiB (valid
    /// UTF-8 is UTF-8; anything else is GB18030, a superset of GBK and GB2312). The separator
    /// is a comma, or a tab or semicolon when the header row has those and no comma.
    pub fn csv(source: Box<dyn Read + Send>) -> Result<Table, ReadError> {
        let mut buffered = BufReader::with_capacity(64 * 1024, source);
        let head = buffered.fill_buf()?;
        let encoding = sniff_encoding(head);
        let delimiter = sniff_delimiter(head, encoding);
        let decoded: Box<dyn Read + Send> = if encoding == encoding_rs::UTF_8 {
            let bom = head.starts_with(b"\xEF\xBB\xBF");
            if bom {
                buffered.consume(3);
            }
            Box::new(buffered)
        } else {
            Box::new(Decoding::new(buffered, encoding))
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(decoded);
        let mut records = reader.into_records();
        let headers = loop {
            match records.next() {
                Some(Ok(r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
                Some(Ok(r)) => break r.iter().map(|c| c.trim().to_string()).collect(),
                Some(Err(e)) => return Err(ReadError::Csv(e.to_string())),
                None => return Err(ReadError::Empty),
            }
        };
        let label = if encoding == encoding_rs::UTF_8 {
            "utf-8"
        } else {
            "gb18030"
        };
        Ok(Table {
            headers,
            encoding: label,
            rows: Rows::Csv(Box::new(records)),
            next_row: 1,
        })
    }

    /// XLSX: the named sheet, else the first sheet with any content. The sheet is read on its
    /// own thread and rows come through a small bounded channel, so memory does not grow with
    /// the sheet.
    pub fn xlsx<R: Read + Seek + Send + 'static>(
        source: R,
        sheet: Option<&str>,
    ) -> Result<Table, ReadError> {
        use calamine::Reader;
        let workbook: calamine::Xlsx<R> =
            calamine::Xlsx::new(source).map_err(|e| ReadError::Xlsx(e.to_string()))?;
        let names = workbook.sheet_names();
        let chosen = match sheet {
            Some(wanted) => names
                .iter()
                .find(|n| n.as_str() == wanted)
                .cloned()
                .ok_or_else(|| ReadError::NoSuchSheet(wanted.to_string()))?,
            None => names.first().cloned().ok_or(ReadError::Empty)?,
        };
        let (tx, rx) = mpsc::sync_channel::<Result<Record, ReadError>>(256);
        let any_sheet = sheet.is_none();
        std::thread::spawn(move || stream_sheet(workbook, chosen, names, any_sheet, tx));
        let first = rx.recv().map_err(|_| ReadError::Empty)??;
        Ok(Table {
            headers: first.cells.iter().map(|c| c.trim().to_string()).collect(),
            encoding: "xlsx",
            rows: Rows::Xlsx(rx),
            next_row: first.row,
        })
    }
}

impl Iterator for Table {
    type Item = Result<Record, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let record = match &mut self.rows {
                Rows::Csv(records) => {
                    let r = records.next()?;
                    self.next_row += 1;
                    r.map(|r| Record {
                        row: r.position().map_or(self.next_row, |p| p.line()),
                        cells: r,
                    })
                    .map_err(|e| ReadError::Csv(e.to_string()))
                }
                Rows::Xlsx(rx) => rx.recv().ok()?,
            };
            match record {
                Ok(r) if r.is_blank() => continue,
                other => return Some(other),
            }
        }
    }
}

fn sniff_encoding(head: &[u8]) -> &'static encoding_rs::Encoding {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => encoding_rs::UTF_8,
        // a multi-byte character cut off at the end of the sample is still UTF-8
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => encoding_rs::GB18030,
    }
}

fn sniff_delimiter(head: &[u8], encoding: &'static encoding_rs::Encoding) -> u8 {
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let (text, _, _) = encoding.decode(first_line);
    if text.contains(',') {
        b','
    } else if text.contains('\t') {
        b'\t'
    } else if text.contains(';') {
        b';'
    } else {
        b','
    }
}

/// Decodes a byte stream to UTF-8 as it is read (the byte-order mark, if any, is removed).
struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: Read> Decoding<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Decoding {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; 32 * 1024],
            output: Vec::new(),
            out_pos: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_pos >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.input)?;
            let last = n == 0;
            let need = self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 4 + 16);
            self.output.clear();
            self.output.resize(need, 0);
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.input[..n], &mut self.output, last);
            self.output.truncate(written);
            self.out_pos = 0;
            self.done = last;
        }
        let n = buf.len().min(self.output.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

fn stream_sheet<R: Read + Seek>(
    mut workbook: calamine::Xlsx<R>,
    chosen: String,
    names: Vec<String>,
    first_with_content: bool,
    tx: mpsc::SyncSender<Result<Record, ReadError>>,
) {
    let candidates: Vec<String> = if first_with_content {
        names
    } else {
        vec![chosen]
    };
    for name in candidates {
        match send_rows(&mut workbook, &name, &tx) {
            Ok(true) | Err(()) => return,
            Ok(false) => continue,
        }
    }
    let _ = tx.send(Err(ReadError::Empty));
}

/// Sends the rows of one sheet; `Ok(false)` when it had none, `Err` when the reader is gone.
fn send_rows<R: Read + Seek>(
    workbook: &mut calamine::Xlsx<R>,
    name: &str,
    tx: &mpsc::SyncSender<Result<Record, ReadError>>,
) -> Result<bool, ()> {
    let mut cells = match workbook.worksheet_cells_reader(name) {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Err(ReadError::Xlsx(e.to_string())));
            return Err(());
        }
    };
    // the row being read: its number and cells so far (a sheet names each cell's column)
    let mut current: Option<(u64, Vec<String>)> = None;
    let mut any = false;
    let mut send = |(row, cells): (u64, Vec<String>)| -> Result<(), ()> {
        let record = Record::new(row, &cells);
        if !record.is_blank() {
            any = true;
            tx.send(Ok(record)).map_err(|_| ())?;
        }
        Ok(())
    };
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(ReadError::Xlsx(e.to_string())));
                return Err(());
            }
        };
        let (row, col) = cell.get_position();
        let text = cell_text(cell.get_value());
        let row = u64::from(row) + 1;
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            if let Some(done) = current.take() {
                send(done)?;
            }
        }
        let (_, record) = current.get_or_insert_with(|| (row, Vec::new()));
        let col = col as usize;
        if record.len() <= col {
            record.resize(col + 1, String::new());
        }
        record[col] = text;
    }
    if let Some(done) = current.take() {
        send(done)?;
    }
    Ok(any)
}

/// A cell as the text a person would type: whole numbers without `.0`, dates as `YYYY-MM-DD`
/// (date-times as `YYYY-MM-DD HH:MM:SS`).
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Empty => String::new(),
    }
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        // shortest text that reads back as the same number (0.1 stays 0.1)
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: Table) -> Vec<Vec<String>> {
        t.map(|r| r.map(|r| r.cells()))
            .collect::<Result<_, _>>()
            .unwrap_or_default()
    }

    #[test]
    fn utf8_with_bom_and_blank_lines() {
        let t = Table::from_bytes(b"\xEF\xBB\xBFcode,name\n\nD1,A\n".to_vec(), None)
            .map_err(|e| e.to_string());
        let t = t.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.headers, vec!["code", "name"]);
        assert_eq!(t.encoding, "utf-8");
        assert_eq!(rows(t), vec![vec!["D1".to_string(), "A".to_string()]]);
    }

    #[test]
    fn gb18030_is_detected() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("编码,名称\nD1,华东经销\n");
        let t = Table::from_bytes(bytes.into_owned(), None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.encoding, "gb18030");
        assert_eq!(t.headers, vec!["编码", "名称"]);
        assert_eq!(
            rows(t),
            vec![vec!["D1".to_string(), "华东经销".to_string()]]
        );
    }

    #[test]
    fn row_numbers_count_the_header() {
        let t =
            Table::from_bytes(b"a;b\n1;2\n3;4\n".to_vec(), None).unwrap_or_else(|e| panic!("{e}"));
        let numbers: Vec<u64> = t.filter_map(Result::ok).map(|r| r.row).collect();
        assert_eq!(numbers, vec![2, 3]);
    }

    #[test]
    fn xlsx_numbers_and_dates() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let day =
            rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, 9).unwrap_or_else(|e| panic!("{e}"));
        let _ = ws.write(0, 0, "code");
        let _ = ws.write(0, 1, "qty");
        let _ = ws.write(0, 2, "price");
        let _ = ws.write(0, 3, "day");
        let _ = ws.write(2, 0, "D1");
        let _ = ws.write(2, 1, 12);
        let _ = ws.write(2, 2, 3.5);
        let _ = ws.write_datetime_with_format(2, 3, &day, &date);
        let bytes = wb.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
        let t = Table::from_bytes(bytes, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.headers, vec!["code", "qty", "price", "day"]);
        let all: Vec<Record> = t.filter_map(Result::ok).collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].row, 3);
        assert_eq!(all[0].cells(), vec!["D1", "12", "3.5", "2024-03-09"]);
    }
}
