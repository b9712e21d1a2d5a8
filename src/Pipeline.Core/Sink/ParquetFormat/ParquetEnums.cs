namespace Pipeline.Sink.ParquetFormat;

/// <summary>Parquet physical types (parquet.thrift <c>Type</c>) used by the dataset.</summary>
internal enum ParquetType
{
    Boolean = 0,
    Int32 = 1,
    Int64 = 2,
    ByteArray = 6,
}

/// <summary>Parquet encodings (parquet.thrift <c>Encoding</c>) used by the dataset.</summary>
internal enum ParquetEncoding
{
    Plain = 0,
    Rle = 3,
    RleDictionary = 8,
}
