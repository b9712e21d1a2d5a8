using System.Buffers;
using System.Text;

namespace Pipeline.Sink.ParquetFormat;

/// <summary>
/// The part of Apache Thrift's compact protocol that Parquet metadata needs (structs, i16/i32/i64, bool, binary,
/// lists): field headers carry the delta from the previous field id, integers are zigzag varints.
/// </summary>
internal sealed class ThriftCompactWriter(IBufferWriter<byte> output)
{
    public const byte TypeBoolTrue = 1;
    public const byte TypeBoolFalse = 2;
    public const byte TypeI16 = 4;
    public const byte TypeI32 = 5;
    public const byte TypeI64 = 6;
    public const byte TypeBinary = 8;
    public const byte TypeList = 9;
    public const byte TypeStruct = 12;

    private readonly Stack<short> _outer = new();
    private short _lastField;

    public void I32(short field, int value)
    {
        Header(field, TypeI32);
        Varint(ZigZag(value));
    }

    public void I64(short field, long value)
    {
        Header(field, TypeI64);
        Varint(ZigZag(value));
    }

    public void I16(short field, short value)
    {
        Header(field, TypeI16);
        Varint(ZigZag(value));
    }

    public void Bool(short field, bool value) => Header(field, value ? TypeBoolTrue : TypeBoolFalse);

    public void Binary(short field, ReadOnlySpan<byte> value)
    {
        Header(field, TypeBinary);
        BinaryElement(value);
    }

    public void String(short field, string value)
    {
        Header(field, TypeBinary);
        StringElement(value);
    }

    /// <summary>Opens a struct-typed field; close it with <see cref="EndStruct"/>.</summary>
    public void BeginStruct(short field)
    {
        Header(field, TypeStruct);
        _outer.Push(_lastField);
        _lastField = 0;
    }

    /// <summary>Writes the stop byte of the current struct and returns to the enclosing one.</summary>
    public void EndStruct()
    {
        Byte(0);
        _lastField = _outer.Count > 0 ? _outer.Pop() : (short)0;
    }

    /// <summary>Opens a list-typed field of <paramref name="count"/> elements of <paramref name="elementType"/>.</summary>
    public void BeginList(short field, byte elementType, int count)
    {
        Header(field, TypeList);
        if (count < 15)
        {
            Byte((byte)((count << 4) | elementType));
        }
        else
        {
            Byte((byte)(0xF0 | elementType));
            Varint((ulong)count);
        }
    }

    /// <summary>Starts a struct element of a list; close it with <see cref="EndStruct"/>.</summary>
    public void BeginListStruct()
    {
        _outer.Push(_lastField);
        _lastField = 0;
    }

    public void I32Element(int value) => Varint(ZigZag(value));

    public void BinaryElement(ReadOnlySpan<byte> value)
    {
        Varint((ulong)value.Length);
        value.CopyTo(output.GetSpan(value.Length));
        output.Advance(value.Length);
    }

    public void StringElement(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var length = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)length);
        var written = Encoding.UTF8.GetBytes(value, output.GetSpan(Math.Max(max, 1)));
        output.Advance(written);
    }

    /// <summary>Ends the top-level struct (the stop byte).</summary>
    public void End() => Byte(0);

    private void Header(short field, byte type)
    {
        var delta = field - _lastField;
        if (delta is > 0 and <= 15)
        {
            Byte((byte)((delta << 4) | type));
        }
        else
        {
            Byte(type);
            Varint(ZigZag(field));
        }

        _lastField = field;
    }

    private void Byte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private void Varint(ulong value) => ParquetFormat.Varint.Write(value, output);

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
